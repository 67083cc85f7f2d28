import { describe, expect, it } from "vitest";
import { checkRetryable } from "../../functions/jobs/views";
import { isAppError } from "../../shared/errors";
import { keyedQueue } from "../../shared/keyed-queue";

const job = (JobState: string, EndTime: string | null) => ({ JobId: "job-abcdefgh", JobState, EndTime });
const codeOf = (f: () => void): string | undefined => {
  try {
    f();
  } catch (e) {
    if (isAppError(e)) return e.code;
    throw e;
  }
  return undefined;
};

describe("checkRetryable: a retry retries only a failure that ended before the request arrived", () => {
  const arrived = Date.parse("2026-11-30T01:00:00.500Z");
  it("retries a failure over a second old", () => {
    expect(codeOf(() => checkRetryable(job("FAILED", "2026-11-30T00:59:59Z"), arrived))).toBeUndefined();
    expect(codeOf(() => checkRetryable(job("FAILED", null), arrived))).toBeUndefined();
  });
  it("refuses a failure that ended after the request arrived, or within Batch's one-second resolution of it", () => {
    expect(codeOf(() => checkRetryable(job("FAILED", "2026-11-30T01:00:01Z"), arrived))).toBe("job_failed_again");
    expect(codeOf(() => checkRetryable(job("FAILED", "2026-11-30T01:00:00Z"), arrived))).toBe("job_failed_again");
  });
  it("refuses a job that is not FAILED, whatever its times", () => {
    expect(codeOf(() => checkRetryable(job("RUNNING", null), arrived))).toBe("job_not_failed");
    expect(codeOf(() => checkRetryable(job("SUCCEED", "2026-11-29T00:00:00Z"), arrived))).toBe("job_not_failed");
  });
});

describe("keyedQueue", () => {
  it("runs tasks of one key one at a time in order, other keys alongside, and forgets idle keys", async () => {
    const q = keyedQueue();
    const log: string[] = [];
    const task = (name: string, ms: number) => async () => {
      log.push(`start ${name}`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`end ${name}`);
      return name;
    };
    const all = Promise.all([q.run("a", task("a1", 20)), q.run("a", task("a2", 1)), q.run("b", task("b1", 5))]);
    expect(q.size).toBe(2);
    expect(await all).toEqual(["a1", "a2", "b1"]);
    expect(log.indexOf("end a1")).toBeLessThan(log.indexOf("start a2"));
    expect(log.indexOf("start b1")).toBeLessThan(log.indexOf("end a1"));
    await new Promise((r) => setTimeout(r, 0));
    expect(q.size).toBe(0);
  });
  it("a failed task does not stop the next one of its key", async () => {
    const q = keyedQueue();
    const failed = q.run("k", async () => {
      throw new Error("boom");
    });
    const next = q.run("k", async () => "ran");
    await expect(failed).rejects.toThrow("boom");
    expect(await next).toBe("ran");
  });
});
