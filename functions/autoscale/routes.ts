// POST /envs/{EnvId}/autoscale[?dryRun=true]: evaluate one env now, the decision the timer would
// take (scope envs:write). Served at this function's own Function URL: the envs bundle has no
// room for the autoscale core, and the decision must be this function's code, not a copy.
import { idRegions } from "../../shared/batch/across-regions";
import { withHint } from "../../shared/batch/errors";
import type { BatchRegions } from "../../shared/batch/regions";
import type { AutoscaleBatch } from "./batch";
import { AppError } from "../../shared/errors";
import { hasScope, type Route, route } from "../../shared/http";
import { requireEnvOwner } from "../../shared/env-owner";
import { ruleFor } from "../../shared/env-policy";
import { DryRunQuerySchema, EnvParamsSchema } from "../../shared/http/params";
import { regionQuery } from "../../shared/http/region-query";
import * as z from "../../shared/zod";
import { lazy } from "../../shared/zod";
import { DOCS } from "../../shared/docs";
import { type EnvOutcome, evaluate } from "./evaluate";
import type { RegionDeps } from "./regions";

export interface AutoscaleRouteDeps {
  clock?: () => Date;
  /** DRY_RUN: decide and log, change nothing. */
  dryRun: boolean;
  regions: BatchRegions<AutoscaleBatch>;
  inRegion: RegionDeps;
}

const QuerySchema = lazy(() =>
  z.extend(DryRunQuerySchema._zod.innerType, { region: regionQuery("the env's region; without it the env is looked up in every served region (BATCH_REGIONS)") }),
);

/** The answer: what autoscale decided for the env (and whether it was applied), or why it is off. */
export function answerOf(o: Exclude<EnvOutcome, { status: "skipped" }>, dryRun: boolean): Record<string, unknown> {
  if (o.status === "off") return { EnvId: o.envId, Autoscale: "off", Why: o.why, DryRun: dryRun, Applied: false };
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

const notFound = (envId: string, region: string) => new AppError("env_not_found", `no compute environment ${envId} in ${region}`, { status: 404 });

export function autoscaleRoutes(deps: AutoscaleRouteDeps): Route[] {
  const clock = deps.clock ?? (() => new Date());
  /** Env id → region (shared/batch/across-regions.ts): ?region=, remembered, else DescribeComputeEnv in every served region. */
  const ids = idRegions(deps.regions, "env", (port, envId) => port.getEnv(envId), "ResourceNotFound.ComputeEnv");
  return [
    route({
      method: "POST",
      path: "/envs/{EnvId}/autoscale",
      scope: "envs:write",
      params: EnvParamsSchema,
      query: QuerySchema,
      ...(DOCS && {
        summary: "evaluate the env's autoscale now: the decision the timer would take; ?dryRun=true changes nothing",
        description:
          "200 with Autoscale off and why when the env has not opted in; else Action (none, scale_up, scale_down, hold), " +
          "Before/After desired counts, the nodes to terminate, the deciding Rule and Why, and whether it was Applied. " +
          "Applying needs what the envs API's scale needs: the env's creator or envs:admin (403 not_owner), one of the policy's scaleScopes (403); 503 with Retry-After when Batch could not be read.",
      }),
      errors: [403, 404, 409, 503],
      handler: async ({ params, query, principal }) => {
        const dryRun = deps.dryRun || query.dryRun === true;
        const { region } = await ids.locate(params.EnvId, query.region).catch((e: unknown) => {
          throw withHint(e);
        });
        const at = deps.inRegion(region);
        // Listed once: for the owner and scopes checks, and as what evaluate() judges.
        const view = (
          await at.batch.listEnvs({ envIds: [params.EnvId], limit: 1 }).catch((e: unknown) => {
            throw withHint(e);
          })
        ).items[0];
        if (!view) throw notFound(params.EnvId, region);
        if (!dryRun) {
          // Applying changes the env as the envs API's scale would: the same owner and scaleScopes rules.
          requireEnvOwner(principal, view);
          const rule = ruleFor(at.policy, view);
          if (!rule.scaleScopes.some((s) => hasScope(principal, s)))
            throw new AppError("policy.scaleScopes", `changing ${params.EnvId} needs one of the scopes ${rule.scaleScopes.join(", ")} (policy scaleScopes); ?dryRun=true needs none`, {
              status: 403,
              details: { rule: "scaleScopes" },
            });
        }
        const r = await evaluate(at, { now: clock().getTime(), views: [view], dryRun }).catch((e: unknown) => {
          throw withHint(e);
        });
        const o = r.envs.find((e) => e.envId === params.EnvId);
        if (!o) throw notFound(params.EnvId, region);
        // Batch could not be read: nothing was decided, ask again shortly.
        if (o.status === "skipped")
          throw new AppError("batch_unavailable", `${params.EnvId} could not be evaluated: ${o.error}`, { status: 503, retryAfterSeconds: 10 });
        return { status: 200, body: { EnvId: params.EnvId, Region: region, ...answerOf(o, dryRun) } };
      },
    }),
  ];
}
