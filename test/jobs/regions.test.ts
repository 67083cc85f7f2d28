// The jobs API over several regions (BATCH_REGIONS): one POST /jobs endpoint places each job in the
// region of its zone, GET /jobs merges the regions newest first with a cursor, and job ids resolve
// without the caller naming the region. End to end: fromEnv → the real SDK → the emulator serving
// both regions; the ambiguity and failure rules over in-memory ports.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromEnv, makeHandler } from "../../functions/jobs/entry";
import { batchError } from "../../shared/batch/errors";
import { batchRegions } from "../../shared/batch/regions";
import type { MainHandler } from "../../shared/http";
import { parseApiKeys } from "../../shared/http";
import { memoryLogger } from "../../shared/log";
import type { Emulator } from "../../local/emulator/server";
import functionUrl from "../fixtures/function-url.json";
import { callsSince, eventually, startTestEmulator, TEST_SECRET_ID, TEST_SECRET_KEY, type TestEmulator } from "../support/emulator";
import { answerChecker } from "../support/http-answers";
import { jobsRoutes } from "../../functions/jobs/routes";
import { createJobsService } from "../../functions/jobs/service";
import { fakeBatch } from "./fake-batch";

const KEY = "regions-writer-key-0123456789";
type Json = Record<string, unknown>;

let test: TestEmulator;
let emu: Emulator;
/** The emulator's clock runs ahead by `skew`: each job below is created a second or more after the one before. */
let skew = 0;

const env = (): NodeJS.ProcessEnv => ({
  TENCENTCLOUD_REGION: "ap-guangzhou",
  BATCH_REGIONS: "ap-guangzhou,ap-shanghai",
  BATCH_ENDPOINT: emu.url,
  BATCH_RATES: '{"DescribeJobs": 1000, "DescribeJob": 1000, "SubmitJob": 1000, "DescribeTask": 1000}',
  TENCENTCLOUD_SECRETID: TEST_SECRET_ID,
  TENCENTCLOUD_SECRETKEY: TEST_SECRET_KEY,
  API_KEYS: `app:${KEY}`,
});
/** A function instance of its own (its own id → region memory), as SCF may start several. */
const instance = (): MainHandler => makeHandler(fromEnv(env(), memoryLogger({ function: "jobs" })));
const answers = answerChecker(jobsRoutes(createJobsService({ regions: batchRegions(["ap-guangzhou"], () => fakeBatch().port) }), { region: "ap-guangzhou" }));

async function call(h: MainHandler, r: { method?: string; path?: string; body?: unknown; query?: string; headers?: Record<string, string> }) {
  const e = structuredClone(functionUrl) as Json & { headers: Record<string, string> };
  e.httpMethod = r.method ?? "GET";
  e.path = r.path ?? "/jobs";
  e.body = r.body === undefined ? "" : JSON.stringify(r.body);
  e.headers = { ...e.headers, authorization: `Bearer ${KEY}`, ...(r.headers ?? {}) };
  e.queryString = Object.fromEntries(new URLSearchParams(r.query ?? ""));
  const res = await h(e);
  answers.check(e, res);
  return { ...res, json: (res.body ? JSON.parse(res.body) : {}) as Json };
}

const jobIn = (zone: string, name: string) => ({
  Placement: { Zone: zone },
  Job: {
    JobName: name,
    Tasks: [{ TaskName: "t", Application: { DeliveryForm: "LOCAL", Command: "echo hi" }, ComputeEnv: { EnvType: "MANAGED", EnvData: { InstanceType: "BS1.LARGE8", ImageId: "img-31tjrtph" } } }],
  },
});

/** Batch calls by action from now on (the emulator's counters). */
const counted = () => callsSince(emu);

let api: MainHandler;
/** Submitted in this order, alternating regions, each a second or more after the one before. */
const submitted: Array<{ id: string; region: string }> = [];

beforeAll(async () => {
  test = await startTestEmulator({ exec: false, now: () => Date.now() + skew });
  emu = test.emu;
  api = instance();
});
afterAll(async () => {
  await test?.stop();
});

describe("jobs across ap-guangzhou and ap-shanghai through one endpoint", () => {
  it("places each job in the region of its zone, and refuses a zone of a region not served", async () => {
    const zones = ["ap-guangzhou-2", "ap-shanghai-1", "ap-guangzhou-2", "ap-shanghai-1", "ap-guangzhou-2"];
    for (const [i, zone] of zones.entries()) {
      skew += 2000;
      const r = await call(api, { method: "POST", body: jobIn(zone, `multi-${i}`) });
      expect(r.statusCode).toBe(201);
      // The link names the job's region: following it reads one region, not both.
      expect(r.headers?.location).toBe(`/jobs/${r.json.JobId}?region=${r.json.Region}`);
      submitted.push({ id: r.json.JobId as string, region: r.json.Region as string });
    }
    expect(submitted.map((s) => s.region)).toEqual(["ap-guangzhou", "ap-shanghai", "ap-guangzhou", "ap-shanghai", "ap-guangzhou"]);

    const dry = await call(api, { method: "POST", body: jobIn("ap-shanghai-1", "dry"), query: "dryRun=true" });
    expect(dry.json).toMatchObject({ DryRun: true, Region: "ap-shanghai" });

    const beijing = await call(api, { method: "POST", body: jobIn("ap-beijing-1", "nope") });
    expect(beijing.statusCode).toBe(400);
    expect(beijing.json.errors).toContainEqual({
      path: "Placement.Zone",
      message: "zone ap-beijing-1 is in region ap-beijing, which this API does not serve (ap-guangzhou, ap-shanghai)",
    });
  });

  it("runs a job in each region to SUCCEED, each found by id alone", async () => {
    for (const { id, region } of submitted.slice(0, 2)) {
      const done = await eventually(async () => {
        const r = await call(api, { path: `/jobs/${id}`, query: "instances=false" });
        return r.json.JobState === "SUCCEED" && r;
      });
      expect(done.json).toMatchObject({ JobId: id, Region: region });
    }
  });

  it("lists both regions newest first, Region on every job, paging by cursor exactly once through all", async () => {
    const newestFirst = [...submitted].reverse();
    const seen: Array<{ id: string; region: string }> = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r: Awaited<ReturnType<typeof call>> = await call(api, { query: cursor ? `limit=2&cursor=${cursor}` : "limit=2" });
      expect(r.statusCode).toBe(200);
      expect(r.json.TotalCount).toBe(5);
      for (const j of r.json.Jobs as Json[]) seen.push({ id: j.JobId as string, region: j.Region as string });
      cursor = r.json.NextCursor as string | null;
      expect(r.json.NextOffset).toBe(cursor ? seen.length : null);
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(newestFirst);
  });

  it("narrows with ?region= (offset paging, as with one region) and with ?zone=", async () => {
    const sh = submitted.filter((s) => s.region === "ap-shanghai").map((s) => s.id).reverse();
    const p1 = await call(api, { query: "region=ap-shanghai&limit=1" });
    expect(p1.json).toMatchObject({ TotalCount: 2, Offset: 0, NextOffset: 1 });
    const p2 = await call(api, { query: "region=ap-shanghai&limit=1&offset=1" });
    expect(p2.json).toMatchObject({ TotalCount: 2, Offset: 1, NextOffset: null, NextCursor: null });
    expect([...(p1.json.Jobs as Json[]), ...(p2.json.Jobs as Json[])].map((j) => [j.JobId, j.Region])).toEqual(sh.map((id) => [id, "ap-shanghai"]));
    const viaCursor = await call(api, { query: `region=ap-shanghai&limit=1&cursor=${p1.json.NextCursor}` });
    expect(viaCursor.json.Jobs).toEqual(p2.json.Jobs);
    const byZone = await call(api, { query: "zone=ap-shanghai-1" });
    expect((byZone.json.Jobs as Json[]).map((j) => j.JobId)).toEqual(sh);
  });

  it("refuses what cannot be answered right: a region not served, offset across regions, a cursor of another listing", async () => {
    const paths = async (query: string) => {
      const r = await call(api, { query });
      expect(r.statusCode).toBe(400);
      return (r.json.errors as Array<{ path: string }>).map((e) => e.path);
    };
    expect(await paths("region=ap-beijing")).toEqual(["query.region"]);
    expect(await paths("region=mars")).toEqual(["query.region"]);
    expect(await paths("zone=ap-beijing-1")).toEqual(["query.zone"]);
    expect(await paths("zone=ap-guangzhou-2&region=ap-shanghai")).toEqual(["query.zone"]);
    expect(await paths("offset=2")).toEqual(["query.offset"]);
    const across = (await call(api, { query: "limit=1" })).json.NextCursor as string;
    expect(await paths(`region=ap-shanghai&cursor=${across}`)).toEqual(["query.cursor"]);
    expect(await paths("cursor=garbage")).toEqual(["query.cursor"]);
  });

  it("resolves an id in another instance with one DescribeJob per region, then one call: no region needed", async () => {
    const other = instance();
    const [, shanghai] = submitted;
    const first = counted();
    const r = await call(other, { path: `/jobs/${shanghai!.id}`, query: "instances=false" });
    expect(r.json).toMatchObject({ JobId: shanghai!.id, Region: "ap-shanghai" });
    expect(first("DescribeJob")).toBe(2);
    const again = counted();
    expect((await call(other, { path: `/jobs/${shanghai!.id}`, query: "instances=false" })).statusCode).toBe(200);
    expect(again("DescribeJob")).toBe(1);
    const named = counted();
    expect((await call(instance(), { path: `/jobs/${shanghai!.id}`, query: "instances=false&region=ap-shanghai" })).json.Region).toBe("ap-shanghai");
    expect(named("DescribeJob")).toBe(1);

    expect((await call(other, { path: `/jobs/${shanghai!.id}`, query: "region=ap-guangzhou" })).json).toMatchObject({ tencentCode: "ResourceNotFound.Job" });
    expect((await call(other, { path: `/jobs/${shanghai!.id}`, query: "region=ap-beijing" })).statusCode).toBe(400);
    const unknown = await call(other, { path: "/jobs/job-zzzzzzzz" });
    expect(unknown.statusCode).toBe(404);
  });

  it("acts on a job of either region by id alone: long-poll, logs, terminate, delete, retry", async () => {
    const other = instance();
    const sh = submitted[3]!;
    const waited = await call(other, { path: `/jobs/${sh.id}`, query: "waitFor=SUCCEED&timeout=15" });
    expect(waited.json).toMatchObject({ Region: "ap-shanghai", JobState: "SUCCEED", Wait: { Reached: true } });
    expect((await call(instance(), { path: `/jobs/${sh.id}/logs` })).statusCode).toBe(200);
    expect((await call(instance(), { path: `/jobs/${sh.id}/instances` })).json.Instances).toHaveLength(1);
    const term = await call(instance(), { method: "POST", path: `/jobs/${sh.id}/terminate` });
    expect(term.json).toMatchObject({ code: "job_already_finished" });
    const retry = await call(instance(), { method: "POST", path: `/jobs/${sh.id}/retry` });
    expect(retry.json).toMatchObject({ code: "job_not_failed" });
    const del = await call(instance(), { method: "DELETE", path: `/jobs/${sh.id}` });
    expect(del.statusCode).toBe(200);
    expect(del.json).toMatchObject({ JobId: sh.id, Action: "delete", Region: "ap-shanghai" });
    // The instance that remembered its region answers Batch's 404 from there, and forgets it.
    expect((await call(other, { path: `/jobs/${sh.id}` })).statusCode).toBe(404);
  });

  it("keeps idempotency across regions: a key is one request, wherever its zone", async () => {
    const headers = { "idempotency-key": "regions-order-1" };
    const a = await call(api, { method: "POST", body: jobIn("ap-shanghai-1", "idem"), headers });
    const b = await call(instance(), { method: "POST", body: jobIn("ap-shanghai-1", "idem"), headers });
    expect(b.json).toMatchObject({ JobId: a.json.JobId, Region: "ap-shanghai", Replayed: true });
    const moved = await call(instance(), { method: "POST", body: jobIn("ap-guangzhou-2", "idem"), headers });
    expect(moved.statusCode).toBe(409);
    expect(moved.json).toMatchObject({ code: "idempotency_key_reused", jobId: a.json.JobId });
  });
});

describe("id resolution when regions disagree (in-memory ports)", () => {
  const twoRegions = (gz = fakeBatch(), sh = fakeBatch()) => {
    const handler = makeHandler({
      region: "ap-guangzhou",
      regions: batchRegions(["ap-guangzhou", "ap-shanghai"], (r) => (r === "ap-guangzhou" ? gz : sh).port),
      keys: parseApiKeys(`app:${KEY}`),
      logger: memoryLogger({ function: "jobs" }),
    });
    return { gz, sh, handler };
  };

  it("a job id in both regions is a 409 naming them, until ?region= names one", async () => {
    const { gz, sh, handler } = twoRegions();
    for (const zone of ["ap-guangzhou-2", "ap-shanghai-1"]) expect((await call(handler, { method: "POST", body: jobIn(zone, "twin") })).json.JobId).toBe("job-00000001");
    // The instance that submitted them remembers the last; another one meets the collision.
    const cold = twoRegions(gz, sh).handler;
    const r = await call(cold, { path: "/jobs/job-00000001" });
    expect(r.statusCode).toBe(409);
    expect(r.json).toMatchObject({ code: "job_id_ambiguous", regions: ["ap-guangzhou", "ap-shanghai"] });
    expect((await call(cold, { path: "/jobs/job-00000001", query: "region=ap-shanghai" })).json.Region).toBe("ap-shanghai");
  });

  it("a region that fails to answer makes the answer its error, never a 404", async () => {
    const { sh, handler } = twoRegions();
    sh.failNextWith(batchError("DescribeJob", { code: "InternalError", message: "boom", requestId: "r" }), "DescribeJob");
    const r = await call(handler, { path: "/jobs/job-00000009" });
    expect(r.statusCode).toBe(503);
    expect((await call(handler, { path: "/jobs/job-00000009" })).statusCode).toBe(404);
  });
});

describe("one region served (BATCH_REGIONS unset): today's contract, plus Region and NextCursor", () => {
  it("pages by offset as before, or by cursor, and refuses another region", async () => {
    const fake = fakeBatch();
    const h = makeHandler({ region: "ap-guangzhou", batch: fake.port, keys: parseApiKeys(`app:${KEY}`), logger: memoryLogger({ function: "jobs" }) });
    for (const name of ["a", "b", "c"]) expect((await call(h, { method: "POST", body: jobIn("ap-guangzhou-2", name) })).json.Region).toBe("ap-guangzhou");
    const p1 = await call(h, { query: "limit=2" });
    expect(p1.json).toMatchObject({ TotalCount: 3, Offset: 0, Limit: 2, NextOffset: 2 });
    expect((p1.json.Jobs as Json[]).every((j) => j.Region === "ap-guangzhou")).toBe(true);
    const byOffset = await call(h, { query: "limit=2&offset=2" });
    const byCursor = await call(h, { query: `limit=2&cursor=${p1.json.NextCursor}` });
    expect(byCursor.json).toEqual(byOffset.json);
    expect(byOffset.json).toMatchObject({ NextOffset: null, NextCursor: null });
    const calls = fake.calls.length;
    expect((await call(h, { query: "region=ap-shanghai" })).statusCode).toBe(400);
    expect((await call(h, { path: "/jobs/job-00000001", query: "region=ap-shanghai" })).statusCode).toBe(400);
    expect(fake.calls.length).toBe(calls);
    expect((await call(h, { path: "/jobs/job-00000001" })).json.Region).toBe("ap-guangzhou");
    expect(fake.calls.length).toBe(calls + 2);
  });
});
