// The product's rules for a SubmitJob request (batch-facts §2-§6) that span fields, as a pure
// function of the body: every broken rule named with its field path. The HTTP layer runs them
// with the shape pass (SubmitJobBodySchema), so one 400 lists every problem.
import type { RuleSink } from "../../shared/validate";
import { ENV_ID } from "../../shared/schemas/ids";
import { unknownImageWarning } from "../../shared/schemas/image";
import { checkInstanceZone } from "../../shared/schemas/instance-types";
import { LIMITS } from "../../shared/schemas/limits";
import { checkEventNames, SUBMIT_JOB_EVENTS } from "../../shared/schemas/notifications";
import { checkCosFile, checkLocalPath, checkRemotePath, isRemotePath } from "../../shared/schemas/paths";
import { duplicateTagKeys } from "../../shared/schemas/tags";
import { regionOfZone, zoneNotServed } from "../../shared/schemas/zone";
import type { WebhookConfig } from "../../shared/webhooks/config";
import { checkNotify } from "./notify";
import type { SubmitJobBody } from "./schemas";
import { RESERVED_TAG_PREFIX, reservedTagCount, SUBMITTER_TAG } from "./submit";

/**
 * The rules of a POST /jobs body that span fields or need the served regions, for the route's
 * `rules` (the HTTP layer runs them with the shape pass: shared/validate.ts). `ctx.idempotent`
 * says whether this API adds the idempotency tags (reserving room for them).
 */
export const submitRules =
  (regions: readonly string[], webhooks: WebhookConfig = NO_WEBHOOKS) =>
  (body: SubmitJobBody, ctx: RuleSink & { idempotent: boolean }): void => {
    checkSubmitRules(body, regions, reservedTagCount(ctx.idempotent, body.Notify !== undefined), ctx);
    checkNotify(body.Notify, body.Job?.Notifications, webhooks, ctx);
  };

const NO_WEBHOOKS: WebhookConfig = { destination: {} };

/** The rules that span fields, on a body whose shape may be partly broken (zod's dirty value). */
function checkSubmitRules(body: SubmitJobBody, regions: readonly string[], reservedTags: number, sink: RuleSink): void {
  const bad = sink.issue;
  const remote = (path: string, at: string) => {
    const r = checkRemotePath(path, jobRegion);
    if (!r.ok) bad(at, r.rule);
  };
  const local = (path: string, at: string) => {
    const r = checkLocalPath(path);
    if (!r.ok) bad(at, r.rule);
  };

  const zone = body.Placement.Zone;
  const jobRegion = regionOfZone(zone);
  const notServed = zoneNotServed(zone, regions);
  if (notServed) bad("Placement.Zone", notServed);

  const job = body.Job;
  const names = new Map<string, number>();
  job.Tasks.forEach((task, i) => {
    const p = `Job.Tasks[${i}]`;
    const seen = names.get(task.TaskName);
    if (seen !== undefined) bad(`${p}.TaskName`, `task name ${task.TaskName} is already used by Job.Tasks[${seen}]`);
    else names.set(task.TaskName, i);

    const app = task.Application;
    if ((app.Command === undefined) === (app.Commands === undefined))
      bad(`${p}.Application`, "give exactly one of Command (one node) and Commands (tightly coupled, several nodes)");
    if (app.DeliveryForm === "PACKAGE" && !app.PackagePath) bad(`${p}.Application.PackagePath`, "is required when DeliveryForm is PACKAGE");
    if (app.PackagePath !== undefined && !isRemotePath(app.PackagePath))
      bad(`${p}.Application.PackagePath`, "a package path starts with cos://, cfs:// or nfs://");
    else if (app.PackagePath?.startsWith("cos://")) {
      const file = checkCosFile(app.PackagePath, jobRegion);
      if (!file.ok) bad(`${p}.Application.PackagePath`, file.rule);
    }

    if ((task.EnvId === undefined) === (task.ComputeEnv === undefined))
      bad(p, "give exactly one of EnvId (an existing compute environment) and ComputeEnv (an anonymous one)");
    if (task.EnvId !== undefined && !ENV_ID.test(task.EnvId)) bad(`${p}.EnvId`, "an env id looks like env-xxxxxxxx");
    if (task.ComputeEnv) {
      const d = task.ComputeEnv.EnvData;
      const dp = `${p}.ComputeEnv.EnvData`;
      const given = (["InstanceType", "InstanceTypes", "InstanceTypeOptions"] as const).filter((k) => d[k] !== undefined);
      if (given.length === 0) bad(dp, "needs InstanceType (or InstanceTypes / InstanceTypeOptions)");
      if (given.length > 1) bad(dp, `give only one of ${given.join(", ")}`);
      if (d.InstanceType !== undefined) {
        const problem = checkInstanceZone(d.InstanceType, zone);
        if (problem) bad(`${dp}.InstanceType`, problem);
      }
      d.InstanceTypes?.forEach((t, k) => {
        const problem = checkInstanceZone(t, zone);
        if (problem) bad(`${dp}.InstanceTypes[${k}]`, problem);
        if (d.InstanceTypes?.indexOf(t) !== k) bad(`${dp}.InstanceTypes[${k}]`, `${t} is listed twice`);
      });
      const image = d.ImageId && unknownImageWarning(d.ImageId, "Batch needs cloud-init on the image or the job fails");
      if (image) sink.warn(`${dp}.ImageId`, image);
    }

    const ri = task.RedirectInfo;
    if (ri?.StdoutRedirectPath !== undefined) remote(ri.StdoutRedirectPath, `${p}.RedirectInfo.StdoutRedirectPath`);
    if (ri?.StderrRedirectPath !== undefined) remote(ri.StderrRedirectPath, `${p}.RedirectInfo.StderrRedirectPath`);
    for (const k of ["StdoutRedirectFileName", "StderrRedirectFileName"] as const) {
      const f = ri?.[k];
      if (f !== undefined && (f.startsWith("/") || f.split("/").some((s) => s === "..")))
        bad(`${p}.RedirectInfo.${k}`, "a file name is relative to the redirect path, without ..");
    }
    const rli = task.RedirectLocalInfo;
    if (rli?.StdoutLocalPath !== undefined) local(rli.StdoutLocalPath, `${p}.RedirectLocalInfo.StdoutLocalPath`);
    if (rli?.StderrLocalPath !== undefined) local(rli.StderrLocalPath, `${p}.RedirectLocalInfo.StderrLocalPath`);
    task.InputMappings?.forEach((m, k) => {
      remote(m.SourcePath, `${p}.InputMappings[${k}].SourcePath`);
      local(m.DestinationPath, `${p}.InputMappings[${k}].DestinationPath`);
    });
    task.OutputMappings?.forEach((m, k) => {
      local(m.SourcePath, `${p}.OutputMappings[${k}].SourcePath`);
      remote(m.DestinationPath, `${p}.OutputMappings[${k}].DestinationPath`);
    });
    task.ComputeEnv?.MountDataDisks?.forEach((m, k) => {
      local(m.LocalPath, `${p}.ComputeEnv.MountDataDisks[${k}].LocalPath`);
    });
  });

  job.Dependences?.forEach((d, i) => {
    const p = `Job.Dependences[${i}]`;
    if (!names.has(d.StartTask)) bad(`${p}.StartTask`, `no task named ${d.StartTask} in this job`);
    if (!names.has(d.EndTask)) bad(`${p}.EndTask`, `no task named ${d.EndTask} in this job`);
    if (d.StartTask === d.EndTask) bad(p, `task ${d.StartTask} cannot depend on itself`);
  });
  // Without dependences there is no cycle to look for.
  const cycle = job.Dependences?.length ? findCycle([...names.keys()], job.Dependences) : undefined;
  if (cycle) bad("Job.Dependences", `the dependences form a cycle: ${cycle.join(" → ")}`);

  job.Notifications?.forEach((n, i) => {
    const problems = checkEventNames(
      n.TopicName,
      n.EventConfigs,
      SUBMIT_JOB_EVENTS,
      (name) => `${name} is not a job event; allowed (either spelling, e.g. JOB_FAILED or JobFailed): ${SUBMIT_JOB_EVENTS.join(", ")}`,
    );
    for (const x of problems) bad(`Job.Notifications[${i}].EventConfigs[${x.index}].EventName`, x.message);
  });

  const tags = job.Tags ?? [];
  const room = LIMITS.tags - reservedTags;
  if (tags.length > room)
    bad(
      "Job.Tags",
      `at most ${room} tags of your own: a job has at most ${LIMITS.tags} and this API adds ${reservedTags} (submitter${reservedTags > 1 ? ", batch-scf/*" : ""})`,
    );
  tags.forEach((t, i) => {
    if (t.Key === SUBMITTER_TAG || t.Key.startsWith(RESERVED_TAG_PREFIX))
      bad(`Job.Tags[${i}].Key`, `${t.Key} is reserved: this API sets ${SUBMITTER_TAG} and ${RESERVED_TAG_PREFIX}* itself`);
  });
  for (const i of duplicateTagKeys(tags)) bad(`Job.Tags[${i}].Key`, `tag key ${tags[i]!.Key} is given twice`);
}

/** A cycle among the tasks as a list of names (first repeated last), or undefined. */
export function findCycle(names: readonly string[], edges: ReadonlyArray<{ StartTask: string; EndTask: string }>): string[] | undefined {
  const next = new Map<string, string[]>(names.map((n) => [n, []]));
  for (const e of edges) if (e.StartTask !== e.EndTask) next.get(e.StartTask)?.push(e.EndTask);
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    state.set(n, 1);
    stack.push(n);
    for (const m of next.get(n) ?? []) {
      if (state.get(m) === 1) return [...stack.slice(stack.indexOf(m)), m];
      if (!state.has(m)) {
        const c = visit(m);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(n, 2);
    return undefined;
  };
  for (const n of names) {
    if (state.has(n)) continue;
    const c = visit(n);
    if (c) return c;
  }
  return undefined;
}
