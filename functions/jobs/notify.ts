// `Notify: {Url, Events?}` on POST /jobs (issue 16): the job's events reach the app as signed
// webhooks. At submit the jobs function subscribes the job to the job-events topic (a Notifications
// entry on JOB_EVENTS_TOPIC) and keeps the URL and the events on the job itself, in tags, so the
// function that delivers reads them back from Batch: nothing lives only in this function.
// Pure: the rules (each naming its field) and the request's additions.
import { JOB_EVENTS, normalizeEventName } from "../../shared/schemas/notifications";
import type { RuleSink } from "../../shared/validate";
import { checkWebhookUrl } from "../../shared/webhooks/destination";
import type { WebhookConfig } from "../../shared/webhooks/config";

/** The tags that keep a job's notification request (values ≤ 255 characters, Batch's tag limit). */
export const NOTIFY_URL_TAG = "batch-scf/notify-url";
export const NOTIFY_EVENTS_TAG = "batch-scf/notify-events";
/** What Notify asks for without Events: the job's terminal events. */
export const DEFAULT_NOTIFY_EVENTS = ["JOB_SUCCEED", "JOB_FAILED", "JOB_FAILED_INTERRUPTED"] as const;

export interface NotifyBody {
  Url: string;
  Events?: string[] | undefined;
}

/** The events asked for, upper case (either spelling accepted), default the terminal ones; unknown names dropped (the rules name them). */
export const notifyEvents = (n: NotifyBody): string[] =>
  n.Events ? [...new Set(n.Events.map((e) => normalizeEventName(e)).filter((e): e is (typeof JOB_EVENTS)[number] => (JOB_EVENTS as readonly string[]).includes(e ?? "")))] : [...DEFAULT_NOTIFY_EVENTS];

/** The rules of Notify, on a body whose shape may be partly broken. */
export function checkNotify(
  notify: NotifyBody | undefined,
  notifications: ReadonlyArray<{ TopicName: string }> | undefined,
  cfg: WebhookConfig,
  sink: RuleSink,
): void {
  if (!notify) return;
  if (!cfg.topic) {
    sink.issue("Notify", "this deployment takes no job notifications (its operator has not set JOB_EVENTS_TOPIC and WEBHOOK_SIGNING_KEYS)");
    return;
  }
  const url = checkWebhookUrl(notify.Url, cfg.destination);
  if (!url.ok) sink.issue("Notify.Url", url.rule);
  notify.Events?.forEach((e, i) => {
    const name = normalizeEventName(e);
    if (!name || !(JOB_EVENTS as readonly string[]).includes(name))
      sink.issue(`Notify.Events[${i}]`, `${e} is not a job event; one of (either spelling) ${JOB_EVENTS.join(", ")}`);
  });
  notifications?.forEach((n, i) => {
    if (n.TopicName === cfg.topic) sink.issue(`Job.Notifications[${i}].TopicName`, `${n.TopicName} is the job-events topic Notify uses; ask for its events with Notify`);
  });
  if ((notifications?.length ?? 0) + 1 > MAX_NOTIFICATIONS)
    sink.issue("Job.Notifications", `at most ${MAX_NOTIFICATIONS - 1} of your own with Notify: a job has at most ${MAX_NOTIFICATIONS} and Notify adds one`);
}

/** Batch's limit on a job's Notifications entries (the SubmitJob schema's maxLength). */
export const MAX_NOTIFICATIONS = 10;

/** The Notifications entry and the tags a Notify adds to the SubmitJob request. */
export function notifyAdditions(notify: NotifyBody, topic: string) {
  const events = notifyEvents(notify);
  return {
    notification: { TopicName: topic, EventConfigs: events.map((EventName) => ({ EventName, EventVars: [] })) },
    tags: [
      { Key: NOTIFY_URL_TAG, Value: notify.Url },
      { Key: NOTIFY_EVENTS_TAG, Value: events.join(",") },
    ],
  };
}
