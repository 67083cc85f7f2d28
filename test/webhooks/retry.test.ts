import { describe, expect, it } from "vitest";
import { deliverWithRetries, retryAfterMs, type SendResult } from "../../shared/webhooks/retry";

/** A receiver answering from a script, on a simulated clock (sleeps advance it). */
function receiver(script: Array<SendResult | Error>) {
  let t = 1_000_000;
  const sleeps: number[] = [];
  const calls: number[] = [];
  const deps = {
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
    random: () => 0.5,
  };
  const send = async (attempt: number) => {
    calls.push(attempt);
    const next = script[Math.min(attempt - 1, script.length - 1)]!;
    if (next instanceof Error) throw next;
    return next;
  };
  return { send, deps, sleeps, calls };
}

const policy = { maxAttempts: 5, baseMs: 1000, capMs: 30_000, deadlineMs: 60_000 };

describe("webhook delivery retries", () => {
  it("delivers on a 2xx, retrying 5xx, 429 and failures to answer with backoff", async () => {
    const r = receiver([{ status: 503 }, new Error("connect ETIMEDOUT"), { status: 429 }, { status: 204 }]);
    expect(await deliverWithRetries(r.send, policy, r.deps)).toEqual({ delivered: true, attempts: 4, status: 204 });
    expect(r.sleeps).toEqual([500, 1000, 2000]); // full jitter at 0.5 of 1, 2, 4 s
  });

  it("honours Retry-After (seconds or a date) when it asks for longer than the backoff", async () => {
    const r = receiver([{ status: 429, retryAfter: "7" }, { status: 200 }]);
    expect((await deliverWithRetries(r.send, policy, r.deps)).delivered).toBe(true);
    expect(r.sleeps).toEqual([7000]);
    expect(retryAfterMs(new Date(1_000_000 + 3000).toUTCString(), 1_000_000)).toBe(3000);
    expect(retryAfterMs("soon", 0)).toBeUndefined();
  });

  it("does not retry other 4xx, nor follow redirects", async () => {
    for (const status of [400, 401, 404, 410, 301, 308]) {
      const r = receiver([{ status }]);
      const out = await deliverWithRetries(r.send, policy, r.deps);
      expect(out).toMatchObject({ delivered: false, attempts: 1, status });
      expect(r.calls).toEqual([1]);
    }
  });

  it("gives up with the reason after the last attempt, or when the next would pass the deadline", async () => {
    const down = receiver([{ status: 502 }]);
    expect(await deliverWithRetries(down.send, policy, down.deps)).toEqual({
      delivered: false,
      attempts: 5,
      status: 502,
      reason: "answered 502; 5 attempts made",
      retryable: true,
    });
    const slow = receiver([{ status: 503, retryAfter: "120" }]);
    const out = await deliverWithRetries(slow.send, policy, slow.deps);
    expect(out).toMatchObject({ delivered: false, attempts: 1, status: 503, reason: expect.stringMatching(/would pass the 60 s deadline/) });
    expect(slow.sleeps).toEqual([]);
  });

  it("a receiver that is down for a while, then back, gets the delivery", async () => {
    const r = receiver([new Error("connect ECONNREFUSED"), new Error("connect ECONNREFUSED"), { status: 500 }, { status: 200 }]);
    expect(await deliverWithRetries(r.send, policy, r.deps)).toEqual({ delivered: true, attempts: 4, status: 200 });
  });
});
