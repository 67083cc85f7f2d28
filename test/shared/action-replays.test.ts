import { describe, expect, it } from "vitest";
import { isAppError } from "../../shared/errors";
import { actionReplays } from "../../shared/idempotency";

describe("actionReplays: an instance's memory of action keys", () => {
  it("without a key, every call runs", async () => {
    const r = actionReplays();
    let runs = 0;
    const act = async () => ++runs;
    expect(await r.run("app", undefined, { a: 1 }, act)).toEqual({ value: 1, replayed: false });
    expect(await r.run("app", undefined, { a: 1 }, act)).toEqual({ value: 2, replayed: false });
  });

  it("joins the execution in flight and replays it later; keys are per caller; another request with the key is 409", async () => {
    const r = actionReplays();
    let runs = 0;
    const act = async () => {
      runs++;
      await new Promise((res) => setTimeout(res, 5));
      return "done";
    };
    const [a, b] = await Promise.all([r.run("app", "k", { job: 1 }, act), r.run("app", "k", { job: 1 }, act)]);
    expect([a, b]).toEqual([
      { value: "done", replayed: false },
      { value: "done", replayed: true },
    ]);
    expect(await r.run("app", "k", { job: 1 }, act)).toEqual({ value: "done", replayed: true });
    expect(runs).toBe(1);
    expect((await r.run("bob", "k", { job: 1 }, act)).replayed).toBe(false);
    expect(runs).toBe(2);
    const reused = await r.run("app", "k", { job: 2 }, act).catch((e: unknown) => e);
    expect(isAppError(reused) && reused.code).toBe("idempotency_key_reused");
  });

  it("forgets a failed execution, keys past the TTL, and the oldest keys past the maximum", async () => {
    let now = 0;
    const r = actionReplays({ now: () => now, ttlMs: 1000, max: 2 });
    await expect(r.run("app", "f", {}, async () => Promise.reject(new Error("batch said no")))).rejects.toThrow("batch said no");
    expect(await r.run("app", "f", {}, async () => "second try")).toEqual({ value: "second try", replayed: false });
    now = 1000;
    expect((await r.run("app", "f", {}, async () => "after ttl")).value).toBe("after ttl");
    await r.run("app", "x", {}, async () => "x");
    await r.run("app", "y", {}, async () => "y");
    expect((await r.run("app", "f", {}, async () => "evicted")).value).toBe("evicted");
  });
});
