// job-notify's decision core (pure: no SDK, no clock, no env): a Batch job or task event from the
// job-events topic, and the job as Batch describes it, → what to deliver where, or why not.
// The job keeps the app's request in tags the jobs function wrote at submit (functions/jobs/notify.ts,
// submit.ts): the URL, the events asked for, and the submitter, whose secret signs the delivery.
import * as z from "../../shared/zod";
import type { JobDetail } from "../../shared/batch/models";
import { JOB_ID } from "../../shared/schemas/ids";
import { JOB_EVENTS } from "../../shared/schemas/notifications";
import type { BatchEvent } from "../../shared/triggers/cmq";
import { checkWebhookUrl, type DestinationPolicy } from "../../shared/webhooks/destination";
import { webhookIdFor } from "../../shared/webhooks/signature";
import { DEFAULT_NOTIFY_EVENTS, NOTIFY_EVENTS_TAG, NOTIFY_URL_TAG } from "../jobs/notify";
import { SUBMITTER_TAG } from "../jobs/submit";

/** A job or task event, as job-notify needs it (checked: a known job event name, a job id). */
export const JobEventSchema = z.object({
  name: z.enum(JOB_EVENTS),
  jobId: z.string().check(z.regex(JOB_ID, { message: "a job id looks like job-xxxxxxxx" })),
  time: z.optional(z.number()),
  region: z.optional(z.string()),
  jobName: z.optional(z.string()),
  jobState: z.optional(z.string()),
  taskName: z.optional(z.string()),
  taskState: z.optional(z.string()),
  taskInstanceIndex: z.optional(z.number()),
});
export type JobEvent = z.infer<typeof JobEventSchema>;

export type EventVerdict = { ok: true; event: JobEvent } | { ok: false; reason: string };

/** The topic's event → a job event this function can read the job for, or why it is ignored. */
export function jobEventOf(e: BatchEvent, regions: readonly string[]): EventVerdict {
  if (!(JOB_EVENTS as readonly string[]).includes(e.name)) return { ok: false, reason: `${e.name} is not a job event` };
  const r = JobEventSchema.safeParse(e);
  if (!r.success) {
    const issue = r.error.issues[0];
    return { ok: false, reason: `${e.name}: ${issue?.path.join(".") || "event"} ${issue?.message ?? "invalid"}` };
  }
  // The job is read in its event's region, which this function must serve (BATCH_REGIONS).
  if (r.data.region && !regions.includes(r.data.region))
    return { ok: false, reason: `${e.name} from region ${r.data.region} (this function serves ${regions.join(", ")})` };
  return { ok: true, event: r.data };
}

/** What the receiving app gets (the JSON body). */
export interface WebhookBody {
  type: JobEvent["name"];
  jobId: string;
  jobName: string | null;
  /** The job's state the event reports (a task event: the job's state when read). */
  state: string;
  stateReason: string | null;
  submitter: string;
  /** A task event's task (and instance). */
  task?: { name: string; state: string | null; instanceIndex?: number };
  tasks: { total: number; byState: Record<string, number> };
  /** The event's time (Batch's EventTime), ISO 8601; null when Batch sent none. */
  occurredAt: string | null;
  /** `GET /jobs/{JobId}` at the jobs API (JOBS_API_URL), or that path when it is not configured. */
  link: string;
}

export type DeliveryPlan =
  | { kind: "deliver"; webhookId: string; url: string; submitter: string; body: string; payload: WebhookBody }
  /** Nothing was asked for (or nothing can be read): logged, not a failure. */
  | { kind: "skip"; reason: string }
  /** Asked for, but it can never be delivered: a dead letter at once. */
  | { kind: "dead"; reason: string; webhookId: string; url: string | undefined };

const tag = (job: JobDetail, key: string) => job.Tags?.find((t) => t.Key === key)?.Value;

/**
 * The occurrence an event is: its name, its task and instance, and its time. The `webhook-id` is
 * derived from it (webhookIdFor): the same message delivered again (a topic re-push, another
 * container) gets the same id, a new occurrence (the job failing again after a retry) another.
 */
export function occurrenceOf(e: JobEvent): string {
  return `${e.name}${e.taskName !== undefined ? `:${e.taskName}` : ""}${e.taskInstanceIndex !== undefined ? `#${e.taskInstanceIndex}` : ""}${e.time !== undefined ? `@${new Date(e.time).toISOString()}` : ""}`;
}

/** `job` undefined: Batch no longer knows the job (deleted since). */
export function planDelivery(e: JobEvent, job: JobDetail | undefined, opts: { jobsApiUrl?: string | undefined; destination: DestinationPolicy }): DeliveryPlan {
  if (!job) return { kind: "skip", reason: "the job no longer exists" };
  const url = tag(job, NOTIFY_URL_TAG);
  if (!url) return { kind: "skip", reason: "the job asked for no notifications" };
  const asked = tag(job, NOTIFY_EVENTS_TAG)?.split(",") ?? [...DEFAULT_NOTIFY_EVENTS];
  if (!asked.includes(e.name)) return { kind: "skip", reason: `the job did not ask for ${e.name}` };
  const webhookId = webhookIdFor(e.jobId, occurrenceOf(e));
  const submitter = tag(job, SUBMITTER_TAG);
  if (!submitter) return { kind: "dead", reason: "the job has no submitter tag: no secret to sign with", webhookId, url };
  const verdict = checkWebhookUrl(url, opts.destination);
  if (!verdict.ok) return { kind: "dead", reason: `the URL ${verdict.rule}`, webhookId, url };
  const byState: Record<string, number> = {};
  for (const t of job.TaskSet) byState[t.TaskState] = (byState[t.TaskState] ?? 0) + 1;
  const payload: WebhookBody = {
    type: e.name,
    jobId: e.jobId,
    jobName: job.JobName ?? e.jobName ?? null,
    state: e.jobState ?? (e.name.startsWith("JOB_") ? e.name.slice(4) : job.JobState),
    stateReason: job.StateReason || null,
    submitter,
    ...(e.taskName !== undefined
      ? { task: { name: e.taskName, state: e.taskState ?? null, ...(e.taskInstanceIndex !== undefined ? { instanceIndex: e.taskInstanceIndex } : {}) } }
      : {}),
    tasks: { total: job.TaskSet.length, byState },
    occurredAt: e.time !== undefined ? new Date(e.time).toISOString() : null,
    link: `${(opts.jobsApiUrl ?? "").replace(/\/+$/, "")}/jobs/${e.jobId}`,
  };
  return { kind: "deliver", webhookId, url, submitter, body: JSON.stringify(payload), payload };
}
