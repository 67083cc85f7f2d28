// A client-side token bucket per Batch action, so one function instance stays under
// Tencent's per-API rate limits instead of discovering them as RequestLimitExceeded.

/**
 * Documented per-API limits (requests per second). Doc versions disagree (2 to 50/s);
 * these are the conservative figures from ../shared/tencent-api-reference.md §1.1.
 */
const RATES = {
  SubmitJob: 7,
  DescribeJob: 2,
  DescribeJobs: 2,
  DescribeJobSubmitInfo: 2,
  DescribeTask: 10,
  DescribeTaskLogs: 10,
  TerminateJob: 10,
  DeleteJob: 10,
  RetryJobs: 10,
  CreateComputeEnv: 5,
  DescribeComputeEnv: 2,
  DescribeComputeEnvs: 10,
  DescribeComputeEnvCreateInfo: 2,
  DescribeComputeEnvActivities: 10,
  ModifyComputeEnv: 2,
  DeleteComputeEnv: 5,
  TerminateComputeNode: 20,
  TerminateComputeNodes: 20,
} as const;

/** The Batch actions this project may call: those with a documented rate above (their names in the API and the SDK). */
export type BatchAction = keyof typeof RATES;

export const DEFAULT_RATES: Readonly<Record<string, number>> = RATES;

export interface Limiter {
  /** Resolves when a request for `action` may be sent. */
  take(action: string): Promise<void>;
}

export function createLimiter(
  rates: Readonly<Record<string, number>> = DEFAULT_RATES,
  clock: { now: () => number; sleep: (ms: number) => Promise<void> } = {
    now: () => Date.now(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  },
  fallbackRate = 10,
): Limiter {
  const buckets = new Map<string, { tokens: number; at: number; rate: number }>();
  return {
    async take(action) {
      const rate = rates[action] ?? fallbackRate;
      if (!(rate > 0) || !Number.isFinite(rate)) return;
      let b = buckets.get(action);
      if (!b) {
        // Capacity of at least one token: a rate below 1/s must still let a request through.
        b = { tokens: Math.max(1, rate), at: clock.now(), rate };
        buckets.set(action, b);
      }
      for (;;) {
        const now = clock.now();
        b.tokens = Math.min(Math.max(1, b.rate), b.tokens + ((now - b.at) / 1000) * b.rate);
        b.at = now;
        if (b.tokens >= 1) {
          b.tokens -= 1;
          return;
        }
        await clock.sleep(Math.ceil(((1 - b.tokens) / b.rate) * 1000));
      }
    },
  };
}
