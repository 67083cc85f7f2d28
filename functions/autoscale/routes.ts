// POST /envs/{EnvId}/autoscale[?dryRun=true]: evaluate one env now, the decision the timer would
// take (scope envs:write). Served at this function's own Function URL: the envs bundle has no
// room for the autoscale core, and the decision must be this function's code, not a copy.
import { withHint } from "../../shared/batch/errors";
import { AppError } from "../../shared/errors";
import { type Route, route } from "../../shared/http";
import { DryRunQuerySchema, EnvParamsSchema } from "../../shared/http/params";
import { DOCS } from "../../shared/docs";
import { type EnvOutcome, type EvaluateDeps, evaluate } from "./evaluate";

export interface AutoscaleRouteDeps extends EvaluateDeps {
  clock?: () => Date;
}

/** The answer: what autoscale decided for the env (and whether it was applied), or why it is off. */
export function answerOf(o: EnvOutcome, dryRun: boolean): Record<string, unknown> {
  if (o.status === "off") return { EnvId: o.envId, Autoscale: "off", Why: o.why, DryRun: dryRun, Applied: false };
  if (o.status === "skipped") return { EnvId: o.envId, Autoscale: "on", Why: `the env could not be read: ${o.error}`, DryRun: dryRun, Applied: false };
  const d = o.decision;
  return {
    EnvId: d.envId,
    EnvName: d.envName,
    Autoscale: "on",
    Action: d.action,
    Before: d.before,
    After: d.after,
    Target: d.target,
    Terminate: d.terminate,
    Rule: d.rule,
    Why: d.why,
    Demand: d.demand,
    Capacity: d.capacity,
    DryRun: dryRun,
    Applied: o.applied,
    ...(o.error ? { Error: o.error } : {}),
  };
}

export function autoscaleRoutes(deps: AutoscaleRouteDeps): Route[] {
  const clock = deps.clock ?? (() => new Date());
  return [
    route({
      method: "POST",
      path: "/envs/{EnvId}/autoscale",
      scope: "envs:write",
      params: EnvParamsSchema,
      query: DryRunQuerySchema,
      ...(DOCS && {
        summary: "evaluate the env's autoscale now: the decision the timer would take; ?dryRun=true changes nothing",
        description:
          "200 with Autoscale off and why when the env has not opted in; else Action (none, scale_up, scale_down, hold), " +
          "Before/After desired counts, the nodes to terminate, the deciding Rule and Why, and whether it was Applied.",
      }),
      errors: [404],
      handler: async ({ params, query }) => {
        const dryRun = deps.dryRun || query.dryRun === true;
        const r = await evaluate(deps, { now: clock().getTime(), envIds: [params.EnvId], dryRun }).catch((e: unknown) => {
          throw withHint(e);
        });
        const o = r.envs.find((e) => e.envId === params.EnvId);
        if (!o) throw new AppError("env_not_found", `no compute environment ${params.EnvId} in this region`, { status: 404 });
        return { status: 200, body: answerOf(o, dryRun) };
      },
    }),
  ];
}
