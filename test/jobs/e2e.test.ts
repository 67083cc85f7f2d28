// The jobs function end to end: API Gateway events in, the real SDK (through the project's
// adapter) against the local Batch emulator, which runs the task commands.
import { readFileSync } from "node:fs";
import type { SubmitJobRequest } from "tencentcloud-sdk-nodejs/tencentcloud/services/batch/v20170312/batch_models";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeHandler } from "../../functions/jobs/entry";
import { localPathFor } from "../../local/emulator/storage";
import type { MainHandler } from "../../shared/http";
import { parseApiKeys } from "../../shared/http";
import { memoryLogger } from "../../shared/log";
import apigwDocumented from "../fixtures/apigw-documented.json";
import { eventually, startTestEmulator, type TestEmulator } from "../support/emulator";
import { rounds } from "../support/races";

const KEY = "e2e-writer-key-0123456789";
const OTHER = "e2e-other-key-0123456789a";
const BOB = "e2e-bob-key-0123456789abcd";
const BOSS = "e2e-boss-key-0123456789abc";

/** batch-facts §2, verbatim. */
const DOCUMENTED_EXAMPLE = JSON.parse(readFileSync(new URL("../fixtures/submit-job-documented.json", import.meta.url), "utf8")) as SubmitJobRequest;

type Json = Record<string, unknown>;

let t: TestEmulator;
let handler: MainHandler;

beforeAll(async () => {
  t = await startTestEmulator();
  handler = makeHandler({
    batch: t.port,
    region: "ap-guangzhou",
    keys: parseApiKeys(`app:${KEY}:jobs:read|jobs:write,other:${OTHER},bob:${BOB}:jobs:read|jobs:write,boss:${BOSS}:jobs:read|jobs:write|jobs:admin`),
    logger: memoryLogger({ function: "jobs" }),
  });
});
afterAll(() => t.stop());

async function call(r: { method?: string; path?: string; body?: unknown; headers?: Record<string, string>; query?: Json; key?: string }) {
  const e = structuredClone(apigwDocumented) as Json & { headers: Record<string, string> };
  e.httpMethod = r.method ?? "POST";
  e.path = r.path ?? "/jobs";
  e.body = r.body === undefined ? "" : JSON.stringify(r.body);
  e.headers.Authorization = `Bearer ${r.key ?? KEY}`;
  Object.assign(e.headers, r.headers ?? {});
  e.queryString = r.query ?? {};
  const res = await handler(e);
  return { ...res, json: (res.body ? JSON.parse(res.body) : {}) as Json };
}

const withCommand = (command: string, name: string) => {
  const b = structuredClone(DOCUMENTED_EXAMPLE);
  b.Job.JobName = name;
  b.Job.Tasks[0]!.Application.Command = command;
  return b;
};

/** Waits until the job's EndTime is over a second old: a retry sent now retries a failure it has seen (checkRetryable). */
async function pastEnd(id: string): Promise<void> {
  const end = Date.parse((await call({ method: "GET", path: `/jobs/${id}`, query: { instances: "false" } })).json.EndTime as string);
  expect(Number.isFinite(end)).toBe(true);
  const wait = end + 1000 - Date.now();
  if (wait >= 0) await new Promise((r) => setTimeout(r, wait + 20));
}

const stateOf = async (id: string) => (await call({ method: "GET", path: `/jobs/${id}` })).json.JobState as string;

describe("jobs API against the emulator", () => {
  it("runs the documented example to SUCCEED; its output is readable from the API and from the redirect path", async () => {
    const sub = await call({ body: DOCUMENTED_EXAMPLE });
    expect(sub.statusCode).toBe(201);
    const id = sub.json.JobId as string;
    expect(id).toMatch(/^job-[a-z0-9]{8}$/);

    await eventually(async () => (await stateOf(id)) === "SUCCEED", 15_000);
    const job = await call({ method: "GET", path: `/jobs/${id}` });
    expect(job.json).toMatchObject({ JobId: id, JobName: "TestJob", Priority: 1, Submitter: "app" });
    const tasks = job.json.Tasks as Array<{ TaskName: string; TaskState: string; Instances: Json[] }>;
    expect(tasks[0]).toMatchObject({ TaskName: "Task1", TaskState: "SUCCEED" });
    expect(tasks[0]!.Instances[0]).toMatchObject({ TaskInstanceIndex: 0, TaskInstanceState: "SUCCEED", ExitCode: 0 });

    const logs = await call({ method: "GET", path: `/jobs/${id}/logs` });
    expect(logs.statusCode).toBe(200);
    const inst = (logs.json.Instances as Array<{ Stdout: string; FullLog: { Stdout: string } }>)[0]!;
    expect(inst.Stdout.trim()).toBe("6765");
    expect(inst.FullLog.Stdout).toMatch(/^cos:\/\/bucket-1250000000\.cos\.ap-guangzhou\.myqcloud\.com\/logs\/.+/);
    expect(readFileSync(localPathFor(t.dataDir, inst.FullLog.Stdout), "utf8").trim()).toBe("6765");
  });

  it("an idempotent retry yields one job; the same key with another body is 409", async () => {
    const body = withCommand("echo once", "idem-job");
    const headers = { "Idempotency-Key": "e2e-order-1" };
    const a = await call({ body, headers });
    const b = await call({ body, headers });
    expect(a.statusCode).toBe(201);
    expect(b.statusCode).toBe(201);
    expect(b.json.JobId).toBe(a.json.JobId);
    expect(b.headers["idempotent-replayed"]).toBe("true");
    const listed = await t.sdk.DescribeJobs({ Filters: [{ Name: "job-name", Values: ["idem-job"] }] });
    expect(listed.TotalCount).toBe(1);

    const c = await call({ body: withCommand("echo twice", "idem-job"), headers });
    expect(c.statusCode).toBe(409);
    expect(c.json.code).toBe("idempotency_key_reused");
    expect((await t.sdk.DescribeJobs({ Filters: [{ Name: "job-name", Values: ["idem-job"] }] })).TotalCount).toBe(1);
  });

  it("Batch's own ClientToken check backs ours: a reused token with another request is 409", async () => {
    // Simulate our tag lookup missing (e.g. tags stripped): submit through the port with the same
    // token the API derives, then ask the API with a different body.
    const dry = await call({ body: withCommand("echo a", "token-job"), headers: { "Idempotency-Key": "e2e-token" }, query: { dryRun: "true" } });
    const token = (dry.json.Request as { ClientToken: string }).ClientToken;
    const direct = structuredClone(DOCUMENTED_EXAMPLE);
    direct.Job.JobName = "direct";
    await t.port.submitJob({ ...direct, Job: { ...direct.Job, Priority: 1 }, ClientToken: token });
    const r = await call({ body: withCommand("echo b", "token-job"), headers: { "Idempotency-Key": "e2e-token" } });
    expect(r.statusCode).toBe(409);
    expect(r.json).toMatchObject({ code: "idempotency_key_reused", tencentCode: "InvalidParameter" });
  });

  it("a dry run submits nothing and returns what Batch would receive", async () => {
    const before = (await t.sdk.DescribeJobs({})).TotalCount;
    const r = await call({ body: DOCUMENTED_EXAMPLE, query: { dryRun: "true" } });
    expect(r.statusCode).toBe(200);
    expect((r.json.Request as { Job: { Priority: number } }).Job.Priority).toBe(1);
    expect((await t.sdk.DescribeJobs({})).TotalCount).toBe(before);
  });

  it("a rule broken is a 400 with the path, and Batch never sees the job", async () => {
    const before = (await t.sdk.DescribeJobs({})).TotalCount;
    const body = structuredClone(DOCUMENTED_EXAMPLE);
    body.Job.Tasks[0]!.RedirectInfo!.StdoutRedirectPath = "cos://bucket-1250000000.cosgz.myqcloud.com/logs/";
    const r = await call({ body });
    expect(r.statusCode).toBe(400);
    expect(r.json.errors).toEqual([{ path: "Job.Tasks[0].RedirectInfo.StdoutRedirectPath", message: expect.stringContaining("XML-API") }]);
    expect((await t.sdk.DescribeJobs({})).TotalCount).toBe(before);
  });

  it("terminate a running job, then delete it; deleting a running job is 409", async () => {
    const id = (await call({ body: withCommand("sleep 30", "long-job") })).json.JobId as string;
    await eventually(async () => (await stateOf(id)) === "RUNNING", 10_000);
    const del = await call({ method: "DELETE", path: `/jobs/${id}` });
    expect(del.statusCode).toBe(409);
    expect(del.json).toMatchObject({ code: "job_not_finished", jobState: "RUNNING" });
    const term = await call({ method: "POST", path: `/jobs/${id}/terminate` });
    expect(term.statusCode).toBe(202);
    expect(term.json).toMatchObject({ JobId: id, Action: "terminate", PreviousState: "RUNNING" });
    await eventually(async () => (await stateOf(id)) === "FAILED", 10_000);
    expect((await call({ method: "POST", path: `/jobs/${id}/terminate` })).json.code).toBe("job_already_finished");
    expect((await call({ method: "DELETE", path: `/jobs/${id}` })).statusCode).toBe(200);
    const gone = await call({ method: "GET", path: `/jobs/${id}` });
    expect(gone.statusCode).toBe(404);
    expect(gone.json.tencentCode).toBe("ResourceNotFound.Job");
  });

  it("retry re-runs a FAILED job (here it then succeeds); retrying a SUCCEED job is 409", async () => {
    // Fails the first time, succeeds once the marker exists: what a fixed transient failure looks like.
    const marker = join(t.dataDir, "retry-marker");
    const command = `if [ -f ${marker} ]; then echo recovered; else touch ${marker}; echo oops >&2; exit 3; fi`;
    const failing = (await call({ body: withCommand(command, "failing-job") })).json.JobId as string;
    await eventually(async () => (await stateOf(failing)) === "FAILED", 10_000);
    const logs = await call({ method: "GET", path: `/jobs/${failing}/logs`, query: { task: "Task1", index: "0" } });
    expect((logs.json.Instances as Array<{ Stderr: string }>)[0]!.Stderr.trim()).toBe("oops");
    const failed = await call({ method: "GET", path: `/jobs/${failing}` });
    expect((failed.json.Tasks as Array<{ Instances: Json[] }>)[0]!.Instances[0]).toMatchObject({ TaskInstanceState: "FAILED", ExitCode: 3 });

    await pastEnd(failing);
    const retry = await call({ method: "POST", path: `/jobs/${failing}/retry` });
    expect(retry.statusCode).toBe(202);
    expect(retry.json.PreviousState).toBe("FAILED");
    await eventually(async () => (await stateOf(failing)) === "SUCCEED", 10_000);

    const ok = (await call({ body: withCommand("true", "ok-job") })).json.JobId as string;
    await eventually(async () => (await stateOf(ok)) === "SUCCEED", 10_000);
    const r = await call({ method: "POST", path: `/jobs/${ok}/retry` });
    expect(r.statusCode).toBe(409);
    expect(r.json).toMatchObject({ code: "job_not_failed", jobState: "SUCCEED" });
  });

  it.each(rounds())("20 concurrent retries of a FAILED job run it once more, not twice, even when it fails again at once (round %i)", async (round) => {
    const counter = join(t.dataDir, `runs-of-flaky-${round}`);
    const id = (await call({ body: withCommand(`echo run >> ${counter}; exit 3`, `always-fails-${round}`) })).json.JobId as string;
    await eventually(async () => (await stateOf(id)) === "FAILED", 10_000);
    await pastEnd(id);
    const answers = await Promise.all(Array.from({ length: 20 }, () => call({ method: "POST", path: `/jobs/${id}/retry` })));
    const codes = answers.map((a) => a.statusCode);
    expect(codes.filter((c) => c === 202)).toHaveLength(1);
    expect(codes.filter((c) => c !== 202).every((c) => c === 409)).toBe(true);
    await eventually(async () => (await stateOf(id)) === "FAILED", 10_000);
    // A late duplicate that reads the job after the retry failed again is refused, not run.
    const late = await call({ method: "POST", path: `/jobs/${id}/retry` });
    const lines = () => readFileSync(counter, "utf8").trim().split("\n").length;
    if (late.statusCode === 409) expect(late.json.code).toBe("job_failed_again");
    else expect(late.statusCode).toBe(202); // only when the second failure was over a second old already
    await eventually(async () => (await stateOf(id)) === "FAILED", 10_000);
    expect(lines()).toBe(late.statusCode === 202 ? 3 : 2);
  });

  it("with an Idempotency-Key, 20 concurrent retries are one retry answered 20 times; the key cannot be reused for another action", async () => {
    const counter = join(t.dataDir, "runs-of-keyed");
    const id = (await call({ body: withCommand(`echo run >> ${counter}; exit 3`, "keyed-retry") })).json.JobId as string;
    await eventually(async () => (await stateOf(id)) === "FAILED", 10_000);
    await pastEnd(id);
    const headers = { "Idempotency-Key": "retry-once-7" };
    const answers = await Promise.all(Array.from({ length: 20 }, () => call({ method: "POST", path: `/jobs/${id}/retry`, headers })));
    expect(answers.map((a) => a.statusCode)).toEqual(Array(20).fill(202));
    expect(answers.filter((a) => a.headers["idempotent-replayed"] === "true")).toHaveLength(19);
    expect(new Set(answers.map((a) => a.json.RequestId)).size).toBe(1);
    await eventually(async () => (await stateOf(id)) === "FAILED", 10_000);
    const again = await call({ method: "POST", path: `/jobs/${id}/retry`, headers });
    expect(again.statusCode).toBe(202);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(readFileSync(counter, "utf8").trim().split("\n")).toHaveLength(2);
    const reused = await call({ method: "POST", path: `/jobs/${id}/terminate`, headers });
    expect(reused.statusCode).toBe(409);
    expect(reused.json.code).toBe("idempotency_key_reused");
    const empty = await call({ method: "POST", path: `/jobs/${id}/retry`, headers: { "Idempotency-Key": "" } });
    expect(empty.statusCode).toBe(400);
    expect(empty.json.errors).toEqual([{ path: "headers.idempotency-key", message: expect.stringMatching(/^is empty/) }]);
  });

  it("a write key may change only the jobs it submitted; a key listing jobs:admin may change any (a key without scopes may not)", async () => {
    const id = (await call({ body: withCommand("sleep 30", "alices-job") })).json.JobId as string;
    await eventually(async () => ["RUNNING", "STARTING", "PENDING"].includes(await stateOf(id)), 10_000);
    for (const [method, path] of [
      ["POST", `/jobs/${id}/terminate`],
      ["POST", `/jobs/${id}/retry`],
      ["DELETE", `/jobs/${id}`],
    ] as const) {
      const r = await call({ method, path, key: BOB });
      expect(r.statusCode).toBe(403);
      expect(r.json).toMatchObject({ code: "not_owner", owner: "app", requiredScope: "jobs:admin" });
    }
    expect((await call({ method: "GET", path: `/jobs/${id}`, key: BOB })).statusCode).toBe(200);
    const noScopes = await call({ method: "POST", path: `/jobs/${id}/terminate`, key: OTHER });
    expect(noScopes.statusCode).toBe(403);
    expect(noScopes.json.code).toBe("not_owner");
    const byAdmin = await call({ method: "POST", path: `/jobs/${id}/terminate`, key: BOSS });
    expect(byAdmin.statusCode).toBe(202);
  });

  it("long-polls: ?waitFor= answers when the job reaches a state, or with its state at the timeout", async () => {
    const id = (await call({ body: withCommand("sleep 1.5", "long-poll") })).json.JobId as string;
    const early = await call({ method: "GET", path: `/jobs/${id}`, query: { waitFor: "SUCCEED", timeout: "1", instances: "false" } });
    expect(early.statusCode).toBe(200);
    expect(early.json.Wait).toMatchObject({ For: ["SUCCEED"], Reached: false, Reads: 2 });
    expect(early.json.JobState).not.toBe("SUCCEED");
    const done = await call({ method: "GET", path: `/jobs/${id}`, query: { waitFor: "SUCCEED,FAILED", timeout: "15" } });
    expect(done.json.JobState).toBe("SUCCEED");
    expect(done.json.Wait).toMatchObject({ For: ["SUCCEED", "FAILED"], Reached: true });
    expect((done.json.Wait as { Seconds: number }).Seconds).toBeLessThan(15);
    const bad = await call({ method: "GET", path: `/jobs/${id}`, query: { waitFor: "DONE", timeout: "26" } });
    expect(bad.statusCode).toBe(400);
    expect((bad.json.errors as Array<{ path: string }>).map((e) => e.path)).toEqual(["query.waitFor", "query.timeout"]);
  });

  it("pages a task's instances; ?task= is required when the job has several tasks", async () => {
    const one = withCommand("true", "five-instances");
    one.Job.Tasks[0]!.TaskInstanceNum = 5;
    const id = (await call({ body: one })).json.JobId as string;
    const pages: Json[] = [];
    let offset: number | null = 0;
    while (offset !== null) {
      const r = await call({ method: "GET", path: `/jobs/${id}/instances`, query: { offset: String(offset), limit: "2" } });
      expect(r.statusCode).toBe(200);
      pages.push(r.json);
      offset = r.json.NextOffset as number | null;
    }
    expect(pages.map((p) => [p.Offset, p.NextOffset, (p.Instances as Json[]).map((i) => i.TaskInstanceIndex)])).toEqual([
      [0, 2, [0, 1]],
      [2, 4, [2, 3]],
      [4, null, [4]],
    ]);
    expect(pages[0]).toMatchObject({ JobId: id, TaskName: one.Job.Tasks[0]!.TaskName, TaskInstanceTotalCount: 5, Limit: 2 });
    // The job view lists them all (5 ≤ DescribeTask's 1,000) and says nothing is cut.
    const view = await call({ method: "GET", path: `/jobs/${id}` });
    expect((view.json.Tasks as Json[])[0]).not.toHaveProperty("InstancesTruncated");

    const two = withCommand("true", "two-tasks");
    two.Job.Tasks.push({ ...structuredClone(two.Job.Tasks[0]!), TaskName: "second" });
    const id2 = (await call({ body: two })).json.JobId as string;
    const ambiguous = await call({ method: "GET", path: `/jobs/${id2}/instances` });
    expect(ambiguous.statusCode).toBe(400);
    expect(ambiguous.json.errors).toEqual([{ path: "query.task", message: expect.stringContaining("second") }]);
    const named = await call({ method: "GET", path: `/jobs/${id2}/instances`, query: { task: "second" } });
    expect(named.json).toMatchObject({ TaskName: "second", TaskInstanceTotalCount: 1 });
    const unknown = await call({ method: "GET", path: `/jobs/${id2}/instances`, query: { task: "nope" } });
    expect(unknown.statusCode).toBe(404);
    const malformed = await call({ method: "GET", path: `/jobs/${id2}/instances`, query: { task: "a/b" } });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json.errors).toEqual([{ path: "query.task", message: expect.stringContaining("may not contain /") }]);
  });

  it("lists jobs by submitter and state", async () => {
    const mine = (await call({ body: withCommand("true", "other-job"), key: OTHER })).json.JobId as string;
    const bySubmitter = await call({ method: "GET", path: "/jobs", query: { submitter: "other" } });
    expect(bySubmitter.statusCode).toBe(200);
    expect((bySubmitter.json.Jobs as Json[]).map((j) => j.JobId)).toEqual([mine]);
    await eventually(async () => (await stateOf(mine)) === "SUCCEED", 10_000);
    const succeeded = await call({ method: "GET", path: "/jobs", query: { state: "SUCCEED", limit: "100" } });
    expect((succeeded.json.Jobs as Json[]).map((j) => j.JobId)).toContain(mine);
    expect((succeeded.json.Jobs as Json[]).every((j) => j.JobState === "SUCCEED")).toBe(true);
  });
});
