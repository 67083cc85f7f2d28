import { describe, expect, it } from "vitest";
import { createLimiter } from "../../shared/batch/limiter";
import { backoffDelay, isRetryable, withRetry } from "../../shared/batch/retry";

describe("isRetryable", () => {
  it.each([
    ["RequestLimitExceeded", true],
    ["RequestLimitExceeded.UinLimitExceeded", true],
    ["InternalError", true],
    ["InternalError.CallCvm", true],
    ["UnsupportedOperation.ComputeEnvAcceptOtherRequest", false],
    ["UnsupportedOperation.AcceptOtherRequest", false],
    ["InvalidParameter.JobNameTooLong", false],
    ["InvalidParameterValue.InstanceType", false],
    ["AuthFailure.SignatureFailure", false],
    ["ResourceNotFound.Job", false],
    ["UnsupportedOperation", false],
  ])("%s → %s", (code, want) => {
    expect(isRetryable({ code })).toBe(want);
  });

  it("retries 5xx and network failures, not 4xx", () => {
    expect(isRetryable({ httpCode: 502 })).toBe(true);
    expect(isRetryable({ httpCode: 400 })).toBe(false);
    expect(isRetryable(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "" }))).toBe(true);
    expect(isRetryable(new TypeError("Cannot read properties of undefined (reading 'Error')"))).toBe(false);
  });

  it.each([
    "request to https://localhost:1/ failed, reason: self-signed certificate",
    "request to https://batch.tencentcloudapi.com/ failed, reason: unable to verify the first certificate",
    "request to https://batch.tencentcloudapi.com/ failed, reason: certificate has expired",
    "request to https://10.0.0.1/ failed, reason: Hostname/IP does not match certificate's altnames: IP: 10.0.0.1 is not in the cert's list: ",
    "request to https://batch.tencentcloudapi.com/ failed, reason: certificate not trusted",
    "request to https://batch.tencentcloudapi.com/ failed, reason: unsupported certificate purpose",
    "request to https://batch.tencentcloudapi.com/ failed, reason: unable to get local issuer certificate",
  ])("does not retry a TLS verification failure (the same on every attempt): %s", (message) => {
    // As the SDK rethrows it: its own exception with the transport's message, no code.
    expect(isRetryable({ message, code: "" })).toBe(false);
  });

  it("still retries a TLS connection that was cut", () => {
    expect(isRetryable({ message: "request to https://batch.tencentcloudapi.com/ failed, reason: Client network socket disconnected before secure TLS connection was established" })).toBe(true);
  });
});

describe("withRetry", () => {
  it("backs off with full jitter under the cap and gives up after maxAttempts", async () => {
    const waits: number[] = [];
    let calls = 0;
    const err = await withRetry(
      async () => {
        calls++;
        throw Object.assign(new Error("slow down"), { code: "RequestLimitExceeded" });
      },
      { maxAttempts: 4, baseMs: 100, capMs: 250, random: () => 0.999, sleep: async (ms) => void waits.push(ms) },
    ).catch((e) => e);
    expect(calls).toBe(4);
    expect(err.code).toBe("RequestLimitExceeded");
    expect(waits).toEqual([99, 199, 249]);
  });

  it("never retries a caller's mistake", async () => {
    let calls = 0;
    await withRetry(
      async () => {
        calls++;
        throw Object.assign(new Error("bad"), { code: "InvalidParameter" });
      },
      { maxAttempts: 5, baseMs: 1, capMs: 1, sleep: async () => {} },
    ).catch(() => {});
    expect(calls).toBe(1);
  });

  it("delay grows exponentially until the cap", () => {
    const d = (a: number) => backoffDelay(a, { baseMs: 100, capMs: 1000, random: () => 1 });
    expect([0, 1, 2, 3, 4, 5].map(d)).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
});

describe("createLimiter", () => {
  it("holds an action to its rate after the initial burst", async () => {
    let now = 0;
    const slept: number[] = [];
    const limiter = createLimiter({ ModifyComputeEnv: 2 }, {
      now: () => now,
      sleep: async (ms) => {
        slept.push(ms);
        now += ms;
      },
    });
    for (let i = 0; i < 6; i++) await limiter.take("ModifyComputeEnv");
    // 2 tokens of burst, then one every 500 ms.
    expect(now).toBe(2000);
    expect(slept.every((ms) => ms <= 500)).toBe(true);
  });

  it("keeps actions independent", async () => {
    let now = 0;
    const limiter = createLimiter({ A: 1, B: 1 }, {
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
    });
    await limiter.take("A");
    await limiter.take("B");
    expect(now).toBe(0);
  });
});

describe("deadlines and actions that are not safe to repeat", () => {
  it("starts no retry past the deadline", async () => {
    let t = 0;
    let calls = 0;
    await withRetry(
      async () => {
        calls++;
        t += 4000; // each attempt takes 4 s
        throw Object.assign(new Error("busy"), { code: "InternalError" });
      },
      {
        maxAttempts: 10,
        baseMs: 1000,
        capMs: 1000,
        random: () => 1,
        deadlineMs: 10_000,
        now: () => t,
        sleep: async (ms) => {
          t += ms;
        },
      },
    ).catch(() => {});
    // 4 s, +1 s wait, 4 s (9 s), then a further wait would pass 10 s.
    expect(calls).toBe(2);
  });

  it("retries a non-repeatable action only when the request provably did not run", async () => {
    const { isRetryableUnapplied } = await import("../../shared/batch/retry");
    expect(isRetryableUnapplied({ code: "RequestLimitExceeded" })).toBe(true);
    expect(isRetryableUnapplied({ code: "InternalError" })).toBe(false);
    expect(isRetryableUnapplied({ message: "The operation was aborted due to timeout" })).toBe(false);
    expect(isRetryableUnapplied({ message: "connect ECONNREFUSED 127.0.0.1:1" })).toBe(true);
  });

  it("lets a rate below one per second through", async () => {
    let now = 0;
    const limiter = createLimiter({ X: 0.5 }, {
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
    });
    await limiter.take("X");
    await limiter.take("X");
    expect(now).toBe(2000);
  });
});
