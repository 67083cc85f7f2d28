// When a webhook delivery is tried again (issue 16 §2), as GitHub's and Stripe's receivers expect:
// at-least-once; 2xx is delivered; 429, 5xx, timeouts and network failures are retried with
// exponential backoff and full jitter, honouring the receiver's Retry-After; any other answer
// (4xx, and 3xx: redirects are not followed) is final. What is still not delivered when the
// attempts or the deadline run out is a dead letter with the reason. Pure over `send` and the clock.
// The backoff is the Batch client's (full jitter: ../batch/retry.ts backoffDelay).
import { backoffDelay } from "../batch/retry";

export interface SendResult {
  status: number;
  /** The answer's Retry-After header, if any (seconds or an HTTP date). */
  retryAfter?: string | undefined;
}

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseMs: number;
  capMs: number;
  /** No attempt starts later than this after the first (the function's own timeout bounds it). */
  deadlineMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseMs: 1000, capMs: 30_000, deadlineMs: 60_000 };

export type DeliveryOutcome =
  | { delivered: true; attempts: number; status: number }
  | {
      delivered: false;
      attempts: number;
      status?: number | undefined;
      reason: string;
      /** True when the receiver only failed for now (429, 5xx, no answer) and ran out of attempts or time: worth trying again later. */
      retryable?: boolean;
    };

export interface RetryDeps {
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** Retry-After in ms: delta-seconds, or an HTTP date relative to `now`; undefined when unreadable. */
export function retryAfterMs(header: string | undefined, now: number): number | undefined {
  if (!header) return undefined;
  const v = header.trim();
  if (/^\d{1,9}$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const retryable = (status: number) => status === 429 || status >= 500;

/**
 * Calls `send(attempt)` until it is delivered, refused for good, or out of attempts or time.
 * `send` resolves with the answer's status, or rejects for a timeout or a network failure
 * (retried; its message becomes the reason if it is the last).
 */
export async function deliverWithRetries(send: (attempt: number) => Promise<SendResult>, policy: RetryPolicy = DEFAULT_RETRY, deps: RetryDeps = {}): Promise<DeliveryOutcome> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = deps.random ?? Math.random;
  const started = now();
  let last: { status?: number; reason: string } = { reason: "not attempted" };
  for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
    let wait: number | undefined;
    try {
      const r = await send(attempt);
      if (r.status >= 200 && r.status < 300) return { delivered: true, attempts: attempt, status: r.status };
      if (r.status >= 300 && r.status < 400) return { delivered: false, attempts: attempt, status: r.status, reason: `answered ${r.status}: redirects are not followed` };
      if (!retryable(r.status)) return { delivered: false, attempts: attempt, status: r.status, reason: `answered ${r.status}: not retried (only 429, 5xx and failures to answer are)` };
      last = { status: r.status, reason: `answered ${r.status}` };
      wait = retryAfterMs(r.retryAfter, now());
    } catch (e) {
      last = { reason: `no answer: ${(e as Error).message}` };
    }
    if (attempt === policy.maxAttempts) break;
    const backoff = backoffDelay(attempt - 1, { baseMs: policy.baseMs, capMs: policy.capMs, random });
    const delay = Math.max(wait ?? 0, backoff);
    if (now() + delay - started > policy.deadlineMs) {
      return { delivered: false, attempts: attempt, status: last.status, reason: `${last.reason}; the next attempt (in ${Math.ceil(delay / 1000)} s) would pass the ${policy.deadlineMs / 1000} s deadline`, retryable: true };
    }
    await sleep(delay);
  }
  return { delivered: false, attempts: policy.maxAttempts, status: last.status, reason: `${last.reason}; ${policy.maxAttempts} attempts made`, retryable: true };
}
