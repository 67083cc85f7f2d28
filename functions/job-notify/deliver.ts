// One planned delivery, end to end: resolve the URL's host and refuse an address that is not public
// (SSRF: checked after DNS, every address; the socket then goes to the checked one), sign each
// attempt afresh (Standard Webhooks: a new `webhook-timestamp` per attempt, the same `webhook-id`),
// with the submitter's secret under every active master (one `v1,` signature each during a
// rotation), and retry per shared/webhooks/retry.ts until delivered, refused for good, or out of time.
import { type DestinationPolicy, resolveWebhookHost } from "../../shared/webhooks/destination";
import { type DeliveryOutcome, deliverWithRetries, type RetryDeps, type RetryPolicy } from "../../shared/webhooks/retry";
import { signingKeysFor } from "../../shared/webhooks/secrets";
import { webhookHeaders } from "../../shared/webhooks/signature";
import type { DeliveryPlan } from "./plan";
import { DEFAULT_POST_LIMITS, type PostFn, type PostLimits, postWebhook } from "./send";

export interface DeliverDeps extends RetryDeps {
  /** WEBHOOK_SIGNING_KEYS, newest first. */
  masters: readonly string[];
  destination: DestinationPolicy;
  post?: PostFn;
  lookup?: (host: string) => Promise<Array<{ address: string; family: number }>>;
  limits?: PostLimits;
  /** Attempts and backoff; its deadline is replaced by the time left (below). */
  retry: Omit<RetryPolicy, "deadlineMs">;
}

export type Deliver = (plan: Extract<DeliveryPlan, { kind: "deliver" }>, deadlineAt: number) => Promise<DeliveryOutcome>;

/**
 * `deadlineAt` (epoch ms): every attempt must be over by then (the push that brought the event is
 * answered within the topic's ~15 s), so none starts later than `deadlineAt` − one attempt's timeout.
 */
export function makeDeliver(deps: DeliverDeps): Deliver {
  const now = deps.now ?? Date.now;
  const post = deps.post ?? postWebhook;
  const limits = deps.limits ?? DEFAULT_POST_LIMITS;
  return async (plan, deadlineAt) => {
    const url = new URL(plan.url);
    const host = await resolveWebhookHost(url, deps.destination, deps.lookup);
    if (!host.ok) return { delivered: false, attempts: 0, reason: `refused: ${host.rule}` };
    const keys = signingKeysFor(deps.masters, plan.submitter);
    const policy: RetryPolicy = { ...deps.retry, deadlineMs: Math.max(0, deadlineAt - now() - limits.totalTimeoutMs) };
    return deliverWithRetries(
      () => post({ url, address: host.address }, webhookHeaders(keys, { id: plan.webhookId, timestamp: Math.floor(now() / 1000), body: plan.body }), plan.body, limits),
      policy,
      deps,
    );
  };
}
