// Batch calls per jobs request by the number of served regions (issue 17): the jobs handler in
// process (fromEnv with BATCH_REGIONS of 1, 2, 3 regions) over the real SDK against the emulator,
// 25 jobs in each region. Counts the calls the emulator received per request: a first page of
// GET /jobs, a walk through every page by cursor, GET /jobs?region=, a job read by id on an
// instance that has not seen it (found by a DescribeJob in each region) and again (remembered),
// with ?region=, and a POST /jobs with an Idempotency-Key (its replay lookup asks each region).
// And the cost report over the same regions (cost-report's buildCostReport, one env per region):
// its listings (DescribeComputeEnvs, DescribeJobs) are per region, its reads per env and job.
// And the envs API (a list page, an env by id on a new instance and again) and one autoscale
// timer run (dry run, no env opted in: its listing alone) over the same regions.
// Deterministic (counts, not times); the baseline is the one-region row, today's behaviour.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromEnv, makeHandler } from "../functions/jobs/entry";
import { fromEnv as envsFromEnv, makeHandler as makeEnvsHandler } from "../functions/envs/entry";
import { fromEnv as autoscaleFromEnv, makeHandler as makeAutoscaleHandler } from "../functions/autoscale/entry";
import { buildCostReport } from "../functions/cost-report/report";
import { batchRegionsFromEnv } from "../shared/batch/config";
import { buildPriceTable } from "../shared/prices";
import type { MainHandler } from "../shared/http";
import { createLogger } from "../shared/log";
import { type Emulator, startEmulator } from "../local/emulator/server";
import { TEST_SECRET_ID, TEST_SECRET_KEY } from "../test/support/emulator";

const REGIONS = [
  ["ap-guangzhou", "ap-guangzhou-2"],
  ["ap-shanghai", "ap-shanghai-1"],
  ["ap-beijing", "ap-beijing-3"],
] as const;
const JOBS_PER_REGION = 25;
const PAGE = 20;
const KEY = "bench-regions-key-0123456789";

const job = (zone: string, name: string) => ({
  Placement: { Zone: zone },
  Job: { JobName: name, Tasks: [{ TaskName: "t", Application: { DeliveryForm: "LOCAL", Command: "true" }, ComputeEnv: { EnvType: "MANAGED", EnvData: { InstanceType: "S5.MEDIUM4", ImageId: "img-31tjrtph" } } }] },
});

const envFor = (emu: Emulator, regions: readonly string[]) => ({
    TENCENTCLOUD_REGION: "ap-guangzhou",
    BATCH_REGIONS: regions.join(","),
    BATCH_ENDPOINT: emu.url,
    // Calls, not waits, are measured here: quotas out of the way.
    BATCH_RATES: '{"DescribeJobs": 1000, "DescribeJob": 1000, "SubmitJob": 1000}',
    TENCENTCLOUD_SECRETID: TEST_SECRET_ID,
    TENCENTCLOUD_SECRETKEY: TEST_SECRET_KEY,
    API_KEYS: `bench:${KEY}`,
});
const quiet = (fn: string) => createLogger({ function: fn, bench: "regions" }, { sink: () => {}, level: "error" });

function handlerFor(emu: Emulator, regions: readonly string[]): MainHandler {
  return makeHandler(fromEnv(envFor(emu, regions), quiet("jobs")));
}

const ENV_READS = '{"DescribeComputeEnvs": 1000, "DescribeComputeEnv": 1000, "DescribeComputeEnvCreateInfo": 1000}';
/** The envs API, and autoscale's timer (a dry run), over `regions`. */
function envsFor(emu: Emulator, regions: readonly string[]) {
  const env = { ...envFor(emu, regions), BATCH_RATES: ENV_READS, DRY_RUN: "true" };
  const tick = makeAutoscaleHandler(autoscaleFromEnv(env, quiet("autoscale")));
  return { api: makeEnvsHandler(envsFromEnv(env, quiet("envs"))), tick: () => tick({ Type: "Timer", TriggerName: "autoscale-tick", Time: new Date().toISOString() }) };
}

const COST_READS = ["DescribeComputeEnvs", "DescribeComputeEnv", "DescribeComputeEnvCreateInfo", "DescribeComputeEnvActivities", "DescribeJobs", "DescribeJob", "DescribeTask"];
/** One cost report (the last 24 h) over `regions`, read as the cost-report function reads them. */
function costReportOver(emu: Emulator, regions: readonly string[]) {
  const env = { ...envFor(emu, regions), BATCH_RATES: JSON.stringify(Object.fromEntries(COST_READS.map((a) => [a, 1000]))) };
  const now = Date.now();
  return buildCostReport({ regions: batchRegionsFromEnv(env).regions, prices: buildPriceTable(), logger: quiet("cost-report") }, { from: now - 24 * 3_600_000, to: now, now });
}

async function call(h: MainHandler, method: string, path: string, query: Record<string, string> = {}, body?: unknown, headers: Record<string, string> = {}) {
  const r = await h({
    body: body === undefined ? "" : JSON.stringify(body),
    headers: { host: "127.0.0.1", authorization: `Bearer ${KEY}`, "x-scf-remote-addr": "127.0.0.1", ...headers },
    httpMethod: method,
    path,
    queryString: query,
  });
  if (r.statusCode >= 300) throw new Error(`${method} ${path} answered ${r.statusCode}: ${r.body.slice(0, 300)}`);
  return JSON.parse(r.body) as Record<string, unknown>;
}

/** The Batch calls `fn` made, by action. */
async function calls(emu: Emulator, fn: () => Promise<unknown>): Promise<Record<string, number>> {
  const before = new Map(emu.counters);
  await fn();
  const out: Record<string, number> = {};
  for (const [action, n] of emu.counters) if (n - (before.get(action) ?? 0) > 0) out[action] = n - (before.get(action) ?? 0);
  return out;
}

/** The envs API's reads and autoscale's timer over `served` (one env per region, none opted in). */
async function envsRows(emu: Emulator, served: readonly string[]): Promise<Record<string, unknown>> {
  const last = served[served.length - 1]!;
  const { api, tick } = envsFor(emu, served);
  const envId = ((await call(api, "GET", "/envs", { region: last })).Envs as Array<{ EnvId: string }>)[0]!.EnvId;
  const fresh = envsFor(emu, served).api;
  return {
    "GET /envs first page": await calls(emu, () => call(api, "GET", "/envs", { limit: String(PAGE) })),
    "GET /envs/{id}, id not yet seen by the instance": await calls(emu, () => call(fresh, "GET", `/envs/${envId}`)),
    "GET /envs/{id} again (region remembered)": await calls(emu, () => call(fresh, "GET", `/envs/${envId}`)),
    "autoscale timer run (no env opted in)": await calls(emu, tick),
  };
}

export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), "bench-regions-"));
  const emu = await startEmulator({ dataDir: dir, credentials: [{ secretId: TEST_SECRET_ID, secretKey: TEST_SECRET_KEY }], exec: false });
  try {
    const seed = handlerFor(
      emu,
      REGIONS.map(([r]) => r),
    );
    // Each region's jobs, the last one submitted kept for the reads by id.
    const ids: Record<string, string> = {};
    for (const [region, zone] of REGIONS)
      for (let i = 0; i < JOBS_PER_REGION; i++) ids[region] = (await call(seed, "POST", "/jobs", {}, job(zone, `bench-${region}-${i}`))).JobId as string;
    // One compute env per region, for the cost report.
    const all = batchRegionsFromEnv(envFor(emu, REGIONS.map(([r]) => r))).regions;
    for (const [region, zone] of REGIONS)
      await all.port(region).createEnv({
        Placement: { Zone: zone },
        ComputeEnv: { EnvName: `bench-${region}`, DesiredComputeNodeCount: 1, EnvData: { InstanceType: "S5.MEDIUM4", ImageId: "img-31tjrtph" } },
      });

    const rows: Record<string, unknown> = {};
    for (let n = 1; n <= REGIONS.length; n++) {
      const served = REGIONS.slice(0, n).map(([r]) => r);
      const last = served[n - 1]!;
      const h = handlerFor(emu, served);
      await call(h, "GET", "/jobs", { limit: "1" }); // lazy schemas and connections
      let total = 0;
      const firstPage = await calls(emu, async () => {
        total = (await call(h, "GET", "/jobs", { limit: String(PAGE) })).TotalCount as number;
      });
      let pages = 0;
      const walk = await calls(emu, async () => {
        let cursor: string | null = null;
        do {
          const page = await call(h, "GET", "/jobs", { limit: String(PAGE), ...(cursor ? { cursor } : {}) });
          cursor = page.NextCursor as string | null;
          pages++;
        } while (cursor);
      });
      const narrowed = await calls(emu, () => call(h, "GET", "/jobs", { limit: String(PAGE), region: last }));
      const fresh = handlerFor(emu, served);
      await call(fresh, "GET", "/jobs", { limit: "1", region: served[0]! });
      const byIdCold = await calls(emu, () => call(fresh, "GET", `/jobs/${ids[last]}`, { instances: "false" }));
      const byIdWarm = await calls(emu, () => call(fresh, "GET", `/jobs/${ids[last]}`, { instances: "false" }));
      const byIdNamed = await calls(emu, () => call(handlerFor(emu, served), "GET", `/jobs/${ids[last]}`, { instances: "false", region: last }));
      const keyed = await calls(emu, () => call(h, "POST", "/jobs", {}, job(REGIONS[0][1], `bench-keyed-${n}`), { "idempotency-key": `bench-regions-${n}-${Date.now()}` }));
      rows[`${n} region${n > 1 ? "s" : ""} (${served.join(", ")})`] = {
        jobs: total,
        "GET /jobs first page": firstPage,
        [`GET /jobs every page by cursor (${pages} pages of ${PAGE})`]: walk,
        "GET /jobs?region=": narrowed,
        "GET /jobs/{id}, id not yet seen by the instance": byIdCold,
        "GET /jobs/{id} again (region remembered)": byIdWarm,
        "GET /jobs/{id}?region=": byIdNamed,
        "POST /jobs with Idempotency-Key": keyed,
        ...(await envsRows(emu, served)),
        [`cost report (${n} env${n > 1 ? "s" : ""}, ${total} jobs)`]: await calls(emu, () => costReportOver(emu, served)),
      };
    }
    return rows;
  } finally {
    await emu.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
