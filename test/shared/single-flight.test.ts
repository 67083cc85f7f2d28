// Single-flight reads (shared/batch/single-flight.ts): the module alone, the adapter over an
// injected SDK client, and the real SDK against the emulator counting the calls it receives.
import { readFileSync } from "node:fs";
import type { SubmitJobRequest } from "tencentcloud-sdk-nodejs/tencentcloud/services/batch/v20170312/batch_models";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSingleFlight, flightKey, isRead } from "../../shared/batch/single-flight";
import { type BatchSdkClient, createTencentBatch } from "../../shared/batch/tencent-adapter";
import type { AppError } from "../../shared/errors";
import { emulatorRoute } from "../support/api-clients";
import { startTestEmulator, TEST_SECRET_ID, TEST_SECRET_KEY, type TestEmulator } from "../support/emulator";

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A read function that counts its calls and settles only when told to. */
function controlledRead<T>() {
  const calls: Array<ReturnType<typeof deferred<T>>> = [];
  return {
    calls,
    fn: () => {
      const d = deferred<T>();
      calls.push(d);
      return d.promise;
    },
  };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe("createSingleFlight", () => {
  it("shares one call among identical concurrent reads; other keys get their own", async () => {
    const sf = createSingleFlight();
    const r = controlledRead<{ n: number }>();
    const same = Array.from({ length: 5 }, () => sf.read("DescribeJobs {}", r.fn));
    const other = sf.read('DescribeJobs {"Limit":1}', r.fn);
    await tick();
    expect(r.calls).toHaveLength(2);
    r.calls[0]!.resolve({ n: 1 });
    r.calls[1]!.resolve({ n: 2 });
    expect(await Promise.all(same)).toEqual(Array.from({ length: 5 }, () => ({ n: 1 })));
    expect(await other).toEqual({ n: 2 });
  });

  it("gives every waiter the same error, and keeps nothing after a failure", async () => {
    const sf = createSingleFlight();
    const r = controlledRead<number>();
    const waiters = Array.from({ length: 3 }, () => sf.read("k", r.fn).catch((e: unknown) => e));
    const boom = new Error("InternalError");
    r.calls[0]!.reject(boom);
    for (const e of await Promise.all(waiters)) expect(e).toBe(boom);
    const again = sf.read("k", r.fn);
    expect(r.calls).toHaveLength(2);
    r.calls[1]!.resolve(7);
    expect(await again).toBe(7);
  });

  it("caches nothing once a call settles: the next read makes a new call", async () => {
    const sf = createSingleFlight();
    const r = controlledRead<number>();
    const first = sf.read("k", r.fn);
    r.calls[0]!.resolve(1);
    expect(await first).toBe(1);
    const second = sf.read("k", r.fn);
    expect(r.calls).toHaveLength(2);
    r.calls[1]!.resolve(2);
    expect(await second).toBe(2);
  });

  it("a read issued after a write starts, or after it ends, never joins a call begun before", async () => {
    const sf = createSingleFlight();
    const r = controlledRead<string>();
    const w = deferred<string>();
    const beforeWrite = sf.read("k", r.fn); // call 0
    const joined = sf.read("k", r.fn); // no write yet: joins call 0
    const write = sf.write(() => w.promise);
    const duringWrite = sf.read("k", r.fn); // call 1, begun after the write started
    const alsoDuringWrite = sf.read("k", r.fn); // joins call 1: both are concurrent with the write
    expect(r.calls).toHaveLength(2);
    w.resolve("written");
    expect(await write).toBe("written");
    const afterWrite = sf.read("k", r.fn); // call 2: call 1 began before the write ended
    expect(r.calls).toHaveLength(3);
    r.calls[0]!.resolve("old");
    r.calls[1]!.resolve("racing");
    r.calls[2]!.resolve("new");
    expect(await Promise.all([beforeWrite, joined, duringWrite, alsoDuringWrite, afterWrite])).toEqual(["old", "old", "racing", "racing", "new"]);
  });

  it("a failed write cuts joining too, and its error reaches its caller", async () => {
    const sf = createSingleFlight();
    const r = controlledRead<string>();
    const pending = sf.read("k", r.fn);
    const err = new Error("ResourceInUse");
    await expect(sf.write(() => Promise.reject(err))).rejects.toBe(err);
    const after = sf.read("k", r.fn);
    expect(r.calls).toHaveLength(2);
    r.calls[0]!.resolve("old");
    r.calls[1]!.resolve("new");
    expect([await pending, await after]).toEqual(["old", "new"]);
  });

  it("waiters of a shared call cannot see each other's mutations", async () => {
    const sf = createSingleFlight();
    const r = controlledRead<{ items: Array<{ JobId: string; Tags: string[] }>; total: number }>();
    const seen: Array<{ items: Array<{ JobId: string; Tags: string[] }>; total: number }> = [];
    // Each waiter mutates what it gets as soon as it gets it, before the others resume.
    const waiters = Array.from({ length: 3 }, (_, i) =>
      sf.read("k", r.fn).then((v) => {
        seen.push(structuredClone(v));
        v.items[0]!.Tags.push(`waiter-${i}`);
        v.items.pop();
        v.total = -1;
        return v;
      }),
    );
    const reply = { items: [{ JobId: "job-a", Tags: ["t"] }, { JobId: "job-b", Tags: [] }], total: 2 };
    r.calls[0]!.resolve(reply);
    const got = await Promise.all(waiters);
    for (const v of seen) expect(v).toEqual({ items: [{ JobId: "job-a", Tags: ["t"] }, { JobId: "job-b", Tags: [] }], total: 2 });
    expect(new Set(got).size).toBe(3);
    for (const v of got) expect(v).not.toBe(reply);
    expect(reply).toEqual({ items: [{ JobId: "job-a", Tags: ["t"] }, { JobId: "job-b", Tags: [] }], total: 2 });
  });

  it("a lone reader gets the reply itself (no copy on the usual, uncontended path)", async () => {
    const sf = createSingleFlight();
    const reply = { n: 1 };
    expect(await sf.read("k", async () => reply)).toBe(reply);
  });

  it("keys on the action and the canonical request; only Describe* actions are reads", () => {
    expect(flightKey("DescribeJobs", { Limit: 20, Offset: 0, Filters: null })).toBe(flightKey("DescribeJobs", { Offset: 0, Limit: 20 }));
    expect(flightKey("DescribeJobs", { Limit: 20 })).not.toBe(flightKey("DescribeJob", { Limit: 20 }));
    expect(flightKey("DescribeJobs", { JobIds: ["a", "b"] })).not.toBe(flightKey("DescribeJobs", { JobIds: ["b", "a"] }));
    expect(["DescribeJobs", "DescribeComputeEnvActivities"].every(isRead)).toBe(true);
    expect(["SubmitJob", "TerminateJob", "DeleteJob", "RetryJobs", "ModifyComputeEnv", "CreateComputeEnv", "DeleteComputeEnv", "TerminateComputeNodes"].some(isRead)).toBe(false);
  });
});

describe("the adapter's single-flight (injected SDK client)", () => {
  /** An SDK client answering each action with its handler. */
  type Handlers = Record<string, (req: unknown) => Promise<unknown>>;
  const over = (handlers: Handlers, singleFlight?: boolean) =>
    createTencentBatch({
      region: "ap-guangzhou",
      credentials: () => ({ secretId: "AKIDx", secretKey: "y" }),
      rates: { DescribeJobs: 1000, DescribeJob: 1000, TerminateJob: 1000 },
      retry: { baseMs: 1, capMs: 1 },
      client: { request: (action, req) => handlers[action]!(req) } satisfies BatchSdkClient,
      ...(singleFlight === undefined ? {} : { singleFlight }),
    });
  const jobsPage = { TotalCount: 1, JobSet: [{ JobId: "job-a", JobName: "a", JobState: "RUNNING", Priority: 1, Tags: [{ Key: "k", Value: "v" }] }], RequestId: "r" };

  it("sends one DescribeJobs for identical lists, whatever their key order; off, one each", async () => {
    const sent: unknown[] = [];
    const client: Handlers = {
      DescribeJobs: async (req: unknown) => {
        sent.push(req);
        await new Promise((r) => setTimeout(r, 20));
        return structuredClone(jobsPage);
      },
    };
    const port = over(client);
    const filters = [{ Name: "job-state", Values: ["RUNNING"] }];
    const pages = await Promise.all([
      ...Array.from({ length: 10 }, () => port.listJobs({ filters, offset: 0, limit: 20 })),
      port.listJobs({ limit: 20, offset: 0, filters: [{ Values: ["RUNNING"], Name: "job-state" }] }),
    ]);
    expect(sent).toHaveLength(1);
    expect(new Set(pages.map((p) => p.items)).size).toBe(11);
    for (const p of pages) expect(p).toMatchObject({ total: 1, items: [{ JobId: "job-a", Tags: [{ Key: "k", Value: "v" }] }] });

    await Promise.all([port.listJobs({ offset: 0, limit: 20 }), port.listJobs({ offset: 20, limit: 20 })]);
    expect(sent).toHaveLength(3);

    sent.length = 0;
    const off = over(client, false);
    await Promise.all(Array.from({ length: 5 }, () => off.listJobs({ filters, offset: 0, limit: 20 })));
    expect(sent).toHaveLength(5);
  });

  it("a write through the port (even a refused one) makes the next read a new call", async () => {
    let reads = 0;
    const client: Handlers = {
      DescribeJob: async () => {
        reads++;
        await new Promise((r) => setTimeout(r, 30));
        return { JobId: "job-a", JobState: "RUNNING", Priority: 1, TaskSet: [], DependenceSet: [], RequestId: `r${reads}` };
      },
      TerminateJob: async () => {
        throw Object.assign(new Error("job not started"), { code: "UnsupportedOperation.TerminateOperationWithEnvId", requestId: "w" });
      },
    };
    const port = over(client);
    const before = port.getJob("job-a");
    const joined = port.getJob("job-a");
    expect((await port.terminateJob("job-a").catch((e: unknown) => e)) as AppError).toMatchObject({ tencentCode: "UnsupportedOperation.TerminateOperationWithEnvId" });
    const after = port.getJob("job-a");
    await Promise.all([before, joined, after]);
    expect(reads).toBe(2);
  });
});

describe("single-flight through the real SDK against the emulator", () => {
  let t: TestEmulator;
  let jobId: string;
  const port = (singleFlight: boolean) =>
    createTencentBatch({
      region: "ap-guangzhou",
      endpoint: t.emu.url,
      credentials: () => ({ secretId: TEST_SECRET_ID, secretKey: TEST_SECRET_KEY }),
      rates: { DescribeJobs: 1000, DescribeJob: 1000, TerminateJob: 1000 },
      retry: { baseMs: 5, capMs: 20 },
      singleFlight,
    });
  const counters = async () => (await emulatorRoute<Record<string, number>>(t, "GET", "/counters")).json;
  const resetCounters = () => emulatorRoute(t, "DELETE", "/counters");

  beforeAll(async () => {
    t = await startTestEmulator({ exec: false });
    const job = JSON.parse(readFileSync(new URL("../fixtures/submit-job-documented.json", import.meta.url), "utf8")) as SubmitJobRequest;
    jobId = (await t.port.submitJob(job)).jobId;
    // Each call is held 300 ms, so reads issued 50 ms apart are concurrent.
    await emulatorRoute(t, "POST", "/faults", { action: "DescribeJobs", latencyMs: 300 });
    await emulatorRoute(t, "POST", "/faults", { action: "DescribeJob", latencyMs: 300 });
  });
  afterAll(async () => {
    await emulatorRoute(t, "DELETE", "/faults");
    await t.stop();
  });

  const N = 25;
  const burst = async (p: ReturnType<typeof port>) => {
    const early = Array.from({ length: 20 }, () => p.listJobs({ filters: [{ Name: "job-name", Values: ["TestJob"] }], offset: 0, limit: 20 }));
    await new Promise((r) => setTimeout(r, 50));
    const late = Array.from({ length: N - 20 }, () => p.listJobs({ offset: 0, limit: 20, filters: [{ Name: "job-name", Values: ["TestJob"] }] }));
    return Promise.all([...early, ...late]);
  };

  it(`${N} concurrent identical DescribeJobs reach Batch once (${N} times without single-flight)`, async () => {
    await resetCounters();
    const pages = await burst(port(true));
    expect(await counters()).toEqual({ DescribeJobs: 1 });
    for (const p of pages) expect(p.items.map((j) => j.JobId)).toEqual([jobId]);

    await resetCounters();
    await burst(port(false));
    expect(await counters()).toEqual({ DescribeJobs: N });
  });

  it("a read after a write makes its own call, while the earlier read is still in flight", async () => {
    const p = port(true);
    await resetCounters();
    await Promise.all([p.getJob(jobId), p.getJob(jobId)]);
    expect(await counters()).toEqual({ DescribeJob: 1 });

    await resetCounters();
    const before = p.getJob(jobId);
    // Whether Batch accepts or refuses it (the job has not started), the write cuts joining.
    await p.terminateJob(jobId).catch(() => undefined);
    const after = p.getJob(jobId);
    await Promise.all([before, after]);
    expect(await counters()).toEqual({ TerminateJob: 1, DescribeJob: 2 });
  });
});
