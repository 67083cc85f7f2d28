// Lenient envelopes for the SCF CMQ topic trigger and the Batch event message it carries
// (batch-facts §6, §8). The platform and Batch add fields over time, so nothing here is
// `.strict()`. `msgBody` is the Batch message as a JSON string, or base64 of it (queue
// readers get it encoded); one message may carry many events; event names come in two
// spellings. A message that can never be parsed is reported, not thrown: retrying it
// would fail the same way forever.
import * as z from "../zod";
import { type EventName, normalizeEventName } from "../schemas/notifications";

export const IdLikeSchema = z.nullish(z.union([z.string(), z.pipe(z.number(), z.transform(String))]));

export const CmqRecordSchema = z.looseObject({
  CMQ: z.looseObject({
    type: z.nullish(z.string()),
    topicOwner: IdLikeSchema,
    topicName: z.nullish(z.string()),
    subscriptionName: z.nullish(z.string()),
    publishTime: z.nullish(z.string()),
    msgId: IdLikeSchema,
    requestId: IdLikeSchema,
    // A string (as documented), or an already-parsed value from a local bus.
    msgBody: z.optional(z.unknown()),
    msgTag: z.nullish(z.union([z.array(z.string()), z.string()])),
  }),
});
export type CmqRecord = z.infer<typeof CmqRecordSchema>;

export const CmqEventSchema = z.looseObject({ Records: z.array(z.unknown()).check(z.minLength(1)) });

/** The `Batch` part of an event: node events carry the node's fields, job events the job's and task's; unknown fields pass. */
export const BatchEventDetailSchema = z.looseObject({
  EnvId: z.nullish(z.string()),
  EnvName: z.nullish(z.string()),
  ComputeNodeId: z.nullish(z.string()),
  ComputeNodeInstanceId: z.nullish(z.string()),
  ComputeNodeState: z.nullish(z.string()),
  ResourceCreatedTime: z.nullish(z.string()),
  Cpu: z.nullish(z.number()),
  Mem: z.nullish(z.number()),
  JobId: z.nullish(z.string()),
  JobName: z.nullish(z.string()),
  JobState: z.nullish(z.string()),
  TaskName: z.nullish(z.string()),
  TaskState: z.nullish(z.string()),
  TaskInstanceIndex: z.nullish(z.number()),
});

export const BatchEventSchema = z.looseObject({
  EventVersion: z.nullish(z.string()),
  EventTime: z.nullish(z.string()),
  Region: z.nullish(z.string()),
  EventName: z.string().check(z.minLength(1)),
  EventVars: z.nullish(z.array(z.unknown())),
  Batch: z.nullish(BatchEventDetailSchema),
});

export interface BatchEvent {
  /** Upper-case name (`COMPUTE_NODE_ABNORMAL`), or the raw name when it is no known event. */
  name: EventName | string;
  known: boolean;
  /** Epoch ms of EventTime, when it parses. */
  time: number | undefined;
  region: string | undefined;
  envId: string | undefined;
  envName: string | undefined;
  nodeId: string | undefined;
  nodeState: string | undefined;
  resourceCreatedTime: string | undefined;
  /** Job and task events (job-notify): the job, and the task and instance they are about. */
  jobId?: string | undefined;
  jobName?: string | undefined;
  jobState?: string | undefined;
  taskName?: string | undefined;
  taskState?: string | undefined;
  taskInstanceIndex?: number | undefined;
}

export interface CmqMessage {
  msgId: string;
  topicName: string | undefined;
  events: BatchEvent[];
  /** Entries of `Events` that are not events (logged, skipped). */
  malformedEvents: number;
}

export interface PoisonMessage {
  /** `msgId`, or `record[i]` when the record has none. */
  msgId: string;
  reason: string;
}

export interface ParsedCmq {
  messages: CmqMessage[];
  poison: PoisonMessage[];
}

/** Splits an SCF CMQ event into Batch messages; what can never be parsed goes to `poison`. */
export function parseCmqEvent(event: unknown): ParsedCmq {
  const out: ParsedCmq = { messages: [], poison: [] };
  const env = CmqEventSchema.safeParse(event);
  if (!env.success) {
    out.poison.push({ msgId: "(event)", reason: "not a CMQ event: Records must be a non-empty array" });
    return out;
  }
  env.data.Records.forEach((raw, i) => {
    const rec = CmqRecordSchema.safeParse(raw);
    if (!rec.success) {
      out.poison.push({ msgId: `record[${i}]`, reason: `Records[${i}].CMQ: ${rec.error.issues[0]?.message ?? "invalid"}` });
      return;
    }
    const cmq = rec.data.CMQ;
    const m = messageFrom(cmq.msgId ?? `record[${i}]`, cmq.topicName ?? undefined, cmq.msgBody);
    if ("reason" in m) out.poison.push(m);
    else out.messages.push(m);
  });
  return out;
}

/**
 * One topic message (its `msgBody` as delivered) → the Batch events it carries, or the reason it
 * can never be handled. Shared by the CMQ trigger and the HTTP push (cmq-push.ts).
 */
export function messageFrom(msgId: string, topicName: string | undefined, msgBody: unknown): CmqMessage | PoisonMessage {
  const body = decodeMsgBody(msgBody);
  if (!body.ok) return { msgId, reason: body.reason };
  const events = eventList(body.value);
  if (!events) return { msgId, reason: "msgBody has no Events array" };
  const msg: CmqMessage = { msgId, topicName, events: [], malformedEvents: 0 };
  for (const e of events) {
    const ev = BatchEventSchema.safeParse(e);
    if (ev.success) msg.events.push(toEvent(ev.data));
    else msg.malformedEvents++;
  }
  if (msg.events.length === 0) {
    // Nothing to act on, ever: dropped like poison, so that it is logged by msgId, not swallowed.
    const reason = msg.malformedEvents > 0 ? `none of the ${msg.malformedEvents} entries of Events is an event (EventName missing)` : "Events is empty";
    return { msgId, reason };
  }
  return msg;
}

type Decoded = { ok: true; value: unknown } | { ok: false; reason: string };

/** `msgBody` as JSON text, base64 of JSON text, or an already-parsed object. */
export function decodeMsgBody(body: unknown): Decoded {
  if (body !== null && typeof body === "object") return { ok: true, value: body };
  if (typeof body !== "string" || body.trim() === "") return { ok: false, reason: "msgBody is missing or empty" };
  const text = body.trim();
  const direct = tryJson(text);
  if (direct.ok) return direct;
  if (/^[A-Za-z0-9+/=_-]+$/.test(text)) {
    const decoded = Buffer.from(text, "base64").toString("utf8");
    const viaBase64 = tryJson(decoded.trim());
    if (viaBase64.ok) return viaBase64;
  }
  return { ok: false, reason: "msgBody is neither JSON nor base64-encoded JSON" };
}

function tryJson(text: string): Decoded {
  if (!text.startsWith("{") && !text.startsWith("[")) return { ok: false, reason: "not JSON" };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, reason: "not JSON" };
  }
}

/** `{Events:[…]}` as documented; a bare array or a single event are accepted too. */
function eventList(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    const events = o.Events ?? o.events;
    if (Array.isArray(events)) return events;
    if (typeof o.EventName === "string") return [value];
  }
  return undefined;
}

function toEvent(e: z.infer<typeof BatchEventSchema>): BatchEvent {
  const normalized = normalizeEventName(e.EventName);
  const t = e.EventTime ? Date.parse(e.EventTime) : Number.NaN;
  const b = e.Batch ?? {};
  return {
    name: normalized ?? e.EventName,
    known: normalized !== undefined,
    time: Number.isNaN(t) ? undefined : t,
    region: e.Region ?? undefined,
    envId: b.EnvId ?? undefined,
    envName: b.EnvName ?? undefined,
    nodeId: b.ComputeNodeId ?? undefined,
    nodeState: b.ComputeNodeState ?? undefined,
    resourceCreatedTime: b.ResourceCreatedTime ?? undefined,
    // Absent for node events (so they compare equal to what they always were).
    ...(b.JobId ? { jobId: b.JobId, jobName: b.JobName ?? undefined, jobState: b.JobState ?? undefined } : {}),
    ...(b.TaskName ? { taskName: b.TaskName, taskState: b.TaskState ?? undefined, taskInstanceIndex: b.TaskInstanceIndex ?? undefined } : {}),
  };
}
