// job-notify: the job-events topic's messages → for each job or task event, the job read from
// Batch (DescribeJob), the delivery planned (./plan.ts) and made (./deliver.ts). Every outcome is
// final when the push is answered 2xx: delivered, skipped (nothing was asked for), or a dead letter
// (logged with the reason, never the secret, signature or URL path; and appended to the dead-letter
// file where one is configured: the local stack's). A Batch read that fails transiently throws, so
// the push is answered 503 and the topic pushes the message again later (deliveries already made
// are made again with the same webhook-id: receivers dedupe on it).
import type { BatchPort } from "../../shared/batch/port";
import { AppError, isAppError } from "../../shared/errors";
import type { Logger } from "../../shared/log";
import type { ParsedCmq } from "../../shared/triggers/cmq";
import type { PushContext } from "../../shared/triggers/push-endpoint";
import type { DestinationPolicy } from "../../shared/webhooks/destination";
import type { Deliver } from "./deliver";
import { type DeliveryPlan, jobEventOf, planDelivery } from "./plan";

/** A dead letter as the local stack's dead-letter file keeps entries (local/stack/invoker.ts). */
export interface DeadLetter {
  time: string;
  function: "job-notify";
  source: "webhook";
  what: string;
  reason: string;
  attempts: number;
  errors: string[];
  event: { webhookId: string; jobId: string; type: string; destination: string; submitter?: string | undefined; body?: unknown };
}

export interface HandlerDeps {
  /** The served regions' Batch (BATCH_REGIONS): a job is read in its event's region. */
  regions: { readonly names: readonly string[]; port(region: string): Pick<BatchPort, "getJob"> };
  /** The function's own region (an event that names none is of it). */
  region: string;
  logger: Logger;
  destination: DestinationPolicy;
  jobsApiUrl?: string | undefined;
  deliver: Deliver;
  /** Where dead letters go besides the log (the local stack's file); absent: the log only. */
  deadLetter?: (entry: DeadLetter) => void;
  /** How long the deliveries of one push may take in all (under the topic's ~15 s push timeout). */
  budgetMs?: number;
  /** An event younger than this whose receiver only failed for now is left to the topic's next push, not dead-lettered. */
  redeliverForMs?: number;
  now?: () => number;
}

export interface DeliveryReport {
  webhookId: string;
  jobId: string;
  type: string;
  outcome: "delivered" | "dead_letter";
  attempts: number;
  status?: number | undefined;
}

export interface NotifySummary {
  messages: number;
  poison: number;
  events: number;
  deliveries: DeliveryReport[];
  /** Events nothing was delivered for, by reason. */
  skipped: Record<string, number>;
}

/** Deliveries of one push end within this (the topic waits about 15 s for the answer). */
export const DEFAULT_BUDGET_MS = 12_000;

/**
 * For this long after the event, a receiver that answers 429/5xx or nothing gets the event again
 * at the topic's next push (EXPONENTIAL_DECAY_RETRY: growing intervals, about a day in all); after
 * it, the delivery is a dead letter.
 */
export const DEFAULT_REDELIVER_FOR_MS = 6 * 3_600_000;

/** A webhook URL's origin: its path and query may carry the receiver's credential. */
const originOf = (url: string | undefined) => {
  try {
    return url ? `${new URL(url).origin}/…` : "(none)";
  } catch {
    return "(not a URL)";
  }
};

export function makeHandler(deps: HandlerDeps) {
  const now = deps.now ?? Date.now;
  return async (parsed: ParsedCmq, context: PushContext = {}): Promise<NotifySummary> => {
    const started = now();
    const deadlineAt = started + (deps.budgetMs ?? DEFAULT_BUDGET_MS);
    const log = deps.logger.child({ request_id: context.request_id ?? context.requestId });
    const summary: NotifySummary = { messages: parsed.messages.length, poison: parsed.poison.length, events: 0, deliveries: [], skipped: {} };
    const skip = (reason: string) => {
      summary.skipped[reason] = (summary.skipped[reason] ?? 0) + 1;
    };
    for (const p of parsed.poison) log.error("poison message dropped", { msgId: p.msgId, reason: p.reason });

    const work: Array<Promise<void>> = [];
    /** Deliveries the receiver failed for now: the push is answered 503, so the topic pushes again. */
    const retryLater: string[] = [];
    for (const msg of parsed.messages) {
      for (const e of msg.events) {
        summary.events++;
        const ev = jobEventOf(e, deps.regions.names);
        if (!ev.ok) {
          log.info("event ignored", { msgId: msg.msgId, reason: ev.reason });
          skip(ev.reason);
          continue;
        }
        const event = ev.event;
        work.push(
          (async () => {
            let job: Awaited<ReturnType<BatchPort["getJob"]>> | undefined;
            try {
              job = await deps.regions.port(event.region ?? deps.region).getJob(event.jobId);
            } catch (err) {
              if (!(isAppError(err) && err.status === 404)) throw err;
            }
            const plan: DeliveryPlan = planDelivery(event, job, { jobsApiUrl: deps.jobsApiUrl, destination: deps.destination });
            if (plan.kind === "skip") {
              log.info("nothing to deliver", { msgId: msg.msgId, job: event.jobId, event: event.name, reason: plan.reason });
              skip(plan.reason);
              return;
            }
            const base = { webhook_id: plan.webhookId, job: event.jobId, event: event.name, destination: originOf(plan.url) };
            const outcome = plan.kind === "dead" ? { delivered: false as const, attempts: 0, reason: plan.reason } : await deps.deliver(plan, deadlineAt);
            const report: DeliveryReport = {
              webhookId: plan.webhookId,
              jobId: event.jobId,
              type: event.name,
              outcome: outcome.delivered ? "delivered" : "dead_letter",
              attempts: outcome.attempts,
              ...(outcome.status !== undefined ? { status: outcome.status } : {}),
            };
            summary.deliveries.push(report);
            if (outcome.delivered) {
              log.info("webhook delivered", { ...base, attempts: outcome.attempts, status: outcome.status });
              return;
            }
            // The receiver is down for now and the event is young: the topic pushes it again
            // (EXPONENTIAL_DECAY_RETRY, set by the deploy), with the same webhook-id.
            const age = now() - (event.time ?? now());
            if (outcome.retryable && age < (deps.redeliverForMs ?? DEFAULT_REDELIVER_FOR_MS)) {
              retryLater.push(plan.webhookId);
              log.warn("webhook not delivered yet: the topic will push the event again", { ...base, attempts: outcome.attempts, status: outcome.status, reason: outcome.reason, age_s: Math.round(age / 1000) });
              return;
            }
            log.error("dead letter: webhook not delivered", { ...base, attempts: outcome.attempts, status: outcome.status, reason: outcome.reason });
            deps.deadLetter?.({
              time: new Date(now()).toISOString(),
              function: "job-notify",
              source: "webhook",
              what: `webhook ${plan.webhookId} (${event.name} of ${event.jobId}) to ${originOf(plan.url)}`,
              reason: outcome.reason,
              attempts: outcome.attempts,
              errors: [outcome.reason],
              event: {
                webhookId: plan.webhookId,
                jobId: event.jobId,
                type: event.name,
                destination: originOf(plan.url),
                ...(plan.kind === "deliver" ? { submitter: plan.submitter, body: plan.payload } : {}),
              },
            });
          })(),
        );
      }
    }
    // Every delivery runs to its end before a failed read is reported (so that the re-push finds
    // as little as possible left to do).
    const results = await Promise.allSettled(work);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
    if (retryLater.length > 0)
      throw new AppError("receiver_unavailable", `${retryLater.length} webhook(s) not delivered yet (${retryLater.join(", ")}): the topic pushes again`, {
        status: 503,
        retryAfterSeconds: 30,
      });
    return summary;
  };
}
