// Batch's event names (batch-facts §6) and which action may subscribe to which. The docs spell
// them two ways (`JOB_FAILED`, `JobFailed`); events carry the upper-case one.
import * as z from "../zod";
import { lazy } from "../zod";
import { TopicNameSchema } from "./topic";

export const JOB_EVENTS = [
  "JOB_RUNNING",
  "JOB_SUCCEED",
  "JOB_FAILED",
  "JOB_FAILED_INTERRUPTED",
  "TASK_RUNNING",
  "TASK_SUCCEED",
  "TASK_FAILED",
  "TASK_FAILED_INTERRUPTED",
  "TASK_INSTANCE_RUNNING",
  "TASK_INSTANCE_SUCCEED",
  "TASK_INSTANCE_FAILED",
  "TASK_INSTANCE_FAILED_INTERRUPTED",
] as const;
export const ENV_EVENTS = ["COMPUTE_ENV_CREATED", "COMPUTE_ENV_DELETED"] as const;
export const NODE_EVENTS = [
  "COMPUTE_NODE_CREATED",
  "COMPUTE_NODE_CREATION_FAILED",
  "COMPUTE_NODE_RUNNING",
  "COMPUTE_NODE_ABNORMAL",
  "COMPUTE_NODE_DELETING",
] as const;
export type EventName = (typeof JOB_EVENTS)[number] | (typeof ENV_EVENTS)[number] | (typeof NODE_EVENTS)[number];
export const SUBMIT_JOB_EVENTS: readonly EventName[] = [...JOB_EVENTS, ...NODE_EVENTS];
export const CREATE_ENV_EVENTS: readonly EventName[] = [...ENV_EVENTS, ...NODE_EVENTS];
const ALL_EVENTS = new Set<string>([...JOB_EVENTS, ...ENV_EVENTS, ...NODE_EVENTS]);

/**
 * Accepts both spellings the docs use (`JOB_FAILED`, `JobFailed`, `jobFailed`, `job_failed`)
 * and returns the upper-case name events carry, or undefined when it is no event name.
 */
export function normalizeEventName(name: string): EventName | undefined {
  const trimmed = name.trim();
  const upper = /[a-z][A-Z]/.test(trimmed) ? trimmed.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase() : trimmed.toUpperCase();
  // The guide's example says "JobSucceed"; events say JOB_SUCCEED.
  return ALL_EVENTS.has(upper) ? (upper as EventName) : undefined;
}

export interface EventNameProblem {
  /** Index in EventConfigs. */
  index: number;
  message: string;
}

/**
 * Normalises one topic's event names in place (upper case) and names each that is not among
 * `allowed` or is configured twice for the topic.
 */
export function checkEventNames(
  topic: string,
  configs: Array<{ EventName: string }>,
  allowed: readonly EventName[],
  notAllowed: (name: string) => string,
): EventNameProblem[] {
  const seen = new Set<EventName>();
  const problems: EventNameProblem[] = [];
  configs.forEach((c, index) => {
    const name = normalizeEventName(c.EventName);
    if (!name || !allowed.includes(name)) problems.push({ index, message: notAllowed(c.EventName) });
    else if (seen.has(name)) problems.push({ index, message: `${name} is configured twice for topic ${topic}` });
    else {
      seen.add(name);
      c.EventName = name;
    }
  });
  return problems;
}

const KeyValueSchema = lazy(() => z.strictObject({ Name: z.string().check(z.minLength(1, { message: "must not be empty" })), Value: z.string() }));

/** One topic and its events; event names are checked (and upper-cased) by checkEventNames. */
export const NotificationSchema = lazy(() =>
  z.strictObject({
    TopicName: TopicNameSchema,
    EventConfigs: z
      .array(
        z.strictObject({ EventName: z.string().check(z.minLength(1, { message: "must not be empty" })), EventVars: z._default(z.array(KeyValueSchema), []) }),
      )
      .check(z.minLength(1, { message: "needs at least one event" })),
  }),
);

export const NotificationTargetSchema = z.enum(["CMQ", "TDMQ_CMQ"]);
