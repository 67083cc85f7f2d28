// One cost report across ap-guangzhou and ap-shanghai (BATCH_REGIONS): the function built from its
// environment (fromEnv) reads both regions of one emulator through the real SDK, prices each at its
// region's price, adds both into the totals with a per-region breakdown and per-region budgets; a
// region that cannot be read makes the report partial, naming the region, never silently smaller.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromEnv, makeHandler } from "../../functions/cost-report/entry";
import { makeHandler as makeTimerHandler } from "../../functions/cost-report/handler";
import type { CostReport } from "../../functions/cost-report/model";
import { renderHtml } from "../../functions/cost-report/render-html";
import { renderCsv, renderMarkdown, summaryLine } from "../../functions/cost-report/render-text";
import type { BatchPort } from "../../shared/batch/port";
import { createTencentBatch } from "../../shared/batch/tencent-adapter";
import { AppError } from "../../shared/errors";
import { buildPriceTable } from "../../shared/prices";
import { memoryLogger } from "../../shared/log";
import { createFsReportStore, localPathOf } from "../../shared/report-store";
import type { EmulatorState } from "../../local/emulator/state";
import { costHistory, TZ } from "../support/cost-history";
import { startTestEmulator, TEST_SECRET_ID, TEST_SECRET_KEY, type TestEmulator } from "../support/emulator";

const DEST = "cos://reports-1250000000.cos.ap-guangzhou.myqcloud.com/cost/";
const H = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
/** Shanghai's own price for BS1.LARGE8 (COST_PRICES.regions): 0.085 per core-hour instead of 0.09. */
const PRICES = { regions: { "ap-shanghai": { "BS1.LARGE8": { perCoreHour: 0.085 } } } };

let t: TestEmulator;
let cosDir: string;
const now = Date.now();
const { state: gz, day, date } = costHistory(now);

/**
 * Guangzhou: costHistory's day (216 + 240 core-hours = 41.04 CNY). Shanghai: one BS1.LARGE8 node
 * alive all day (96 core-hours × 0.085 = 8.16 CNY) and bob's job busy 5 h on it (20 core-hours = 1.70 CNY).
 */
function twoRegions(): EmulatorState {
  const env = structuredClone(gz.envs[0]!);
  Object.assign(env, { id: "env-cost0003", name: "sh-farm", zone: "ap-shanghai-1", region: "ap-shanghai", desired: 1 });
  env.nodes = [{ ...env.nodes[0]!, id: "node-cost0005", instanceId: "ins-cost0005" }];
  const job = structuredClone(gz.jobs[0]!);
  Object.assign(job, { id: "job-cost0002", name: "render-bob", zone: "ap-shanghai-1", region: "ap-shanghai", tags: [{ Key: "submitter", Value: "bob" }] });
  const task = job.tasks[0]!;
  task.spec = { ...task.spec, EnvId: "env-cost0003" };
  Object.assign(task.instances[0]!, { nodeId: "node-cost0005", nodeInstanceId: "ins-cost0005", runningAt: day.from + 3 * H, endAt: day.from + 8 * H });
  const created = gz.activities.find((a) => a.ComputeNodeId === "node-cost0001")!;
  const activity = { ...created, ActivityId: "activity-Ccost0005", ComputeNodeId: "node-cost0005", EnvId: "env-cost0003", InstanceId: "ins-cost0005" };
  return { ...gz, envs: [...gz.envs, env], jobs: [...gz.jobs, job], activities: [...gz.activities, activity] };
}

const functionEnv = (budgets: unknown): NodeJS.ProcessEnv => ({
  TENCENTCLOUD_REGION: "ap-guangzhou",
  BATCH_REGIONS: "ap-guangzhou,ap-shanghai",
  BATCH_ENDPOINT: t.emu.url,
  TENCENTCLOUD_SECRETID: TEST_SECRET_ID,
  TENCENTCLOUD_SECRETKEY: TEST_SECRET_KEY,
  COST_REPORT_DEST: DEST,
  LOCAL_COS_DIR: cosDir,
  COST_PRICES: JSON.stringify(PRICES),
  COST_BUDGETS: JSON.stringify(budgets),
  REPORT_TIME_ZONE: TZ,
  IDLE_ALERT_HOURS: "0",
  API_KEYS: "finance:cost-regions-key-0123456789:envs:read",
});

const port = (region: string) =>
  createTencentBatch({ region, endpoint: t.emu.url, credentials: () => ({ secretId: TEST_SECRET_ID, secretKey: TEST_SECRET_KEY }), retry: { baseMs: 5, capMs: 20 }, rates: {} });

beforeAll(async () => {
  t = await startTestEmulator({ exec: false });
  cosDir = mkdtempSync(join(tmpdir(), "cost-regions-"));
  const res = await fetch(`${t.emu.url}/_emulator/state`, { method: "PUT", body: JSON.stringify(twoRegions()) });
  expect(res.status).toBe(200);
});
afterAll(async () => {
  await t?.stop();
  rmSync(cosDir, { recursive: true, force: true });
});

describe("one cost report across ap-guangzhou and ap-shanghai", () => {
  let report: CostReport;
  let calls: Record<string, number>;
  const read = (name: string) => readFileSync(localPathOf(DEST, cosDir, `${date}/${name}`), "utf8");

  beforeAll(async () => {
    const budgets = { total: { monthly: 1 }, regions: { "ap-guangzhou": { monthly: 1 }, "ap-shanghai": { monthly: 100_000 }, "ap-beijing": { monthly: 5 } } };
    const deps = fromEnv(functionEnv(budgets), memoryLogger({ function: "cost-report" }));
    const handler = makeHandler({ ...deps, clock: () => new Date(now) });
    t.emu.counters.clear();
    const out = (await handler({ Type: "Timer", TriggerName: "daily-cost", Time: iso(now), Message: "" }, { request_id: "req-regions" })) as { files: string[] };
    calls = Object.fromEntries(t.emu.counters);
    expect(out.files).toHaveLength(5);
    report = JSON.parse(read("cost-report.json")) as CostReport;
  }, 20_000);

  it("adds both regions into the totals, each priced at its own region's price", () => {
    expect(report.partial).toBe(false);
    expect(report.envs.map((e) => [e.envId, e.region])).toEqual(
      expect.arrayContaining([
        ["env-cost0001", "ap-guangzhou"],
        ["env-cost0002", "ap-guangzhou"],
        ["env-cost0003", "ap-shanghai"],
      ]),
    );
    expect(report.envs.find((e) => e.envId === "env-cost0003")?.summary).toMatchObject({ coreHours: 96, cost: 8.16, busyCoreHours: 20 });
    expect(report.totals).toMatchObject({ coreHours: 216 + 240 + 96, cost: 49.2 });
    expect(report.jobs.map((j) => [j.jobId, j.submitter, j.cost])).toEqual(
      expect.arrayContaining([
        ["job-cost0001", "alice", 3.6],
        ["job-cost0002", "bob", 1.7],
      ]),
    );
    // Each region's envs listed once in that region, jobs likewise: the listings double, the reads per env and job do not.
    expect(calls).toMatchObject({ DescribeComputeEnvs: 2, DescribeJobs: 2, DescribeComputeEnv: 3, DescribeJob: 2 });
  });

  it("breaks the report down per region, the regions adding up to the totals", () => {
    expect(report.regions.map((r) => [r.region, r.read, r.partial, r.envs, r.summary.coreHours, r.summary.cost])).toEqual([
      ["ap-guangzhou", true, false, 2, 456, 41.04],
      ["ap-shanghai", true, false, 1, 96, 8.16],
    ]);
    const sum = report.regions.reduce((s, r) => s + r.month.actualCost, 0);
    expect(sum).toBeCloseTo(report.month.actualCost, 3);
  });

  it("checks the budgets in total and per region; a budget for a region not read is a gap", () => {
    const status = Object.fromEntries(report.budgets.map((b) => [`${b.scope}:${b.name}`, b]));
    expect(Object.keys(status)).toEqual(["total:total", "region:ap-guangzhou", "region:ap-shanghai"]);
    const month = Object.fromEntries(report.regions.map((r) => [r.region, r.month.actualCost]));
    expect(status["region:ap-guangzhou"]).toMatchObject({ actual: month["ap-guangzhou"], crossed: expect.arrayContaining([{ on: "actual", percent: 100 }]) });
    expect(status["region:ap-shanghai"]).toMatchObject({ actual: month["ap-shanghai"], crossed: [] });
    expect(status["total:total"]?.actual).toBeCloseTo(month["ap-guangzhou"]! + month["ap-shanghai"]!, 3);
    expect(report.alerts.map((a) => a.summary)).toContainEqual(expect.stringContaining("region budget ap-guangzhou"));
    expect(report.assumptions.dataGaps).toContainEqual(expect.objectContaining({ code: "budget_region_unknown", region: "ap-beijing", scope: "month" }));
  });

  it("shows the regions in the CSV rows, the Markdown and the HTML page", () => {
    const rows = read("cost-report.csv").trim().split("\r\n").slice(1);
    expect(rows).toContain(`${date},env-cost0003,sh-farm,ap-shanghai,BS1.LARGE8,true,24,96,20,76,79.17,0,0,8.16,6.46,0.00,CNY`);
    const md = read("cost-report.md");
    expect(md).toContain("## By region");
    expect(md).toMatch(/\| ap-shanghai \| 1 \| 96 \| 79\.17 \| 8\.16 \| 6\.46 \|/);
    expect(md).toMatch(/\| env-cost0003 \| sh-farm \| ap-shanghai \| 1 \|/);
    const html = read("cost-report.html");
    expect(html).toMatch(/<table id="regions">.*<td>ap-guangzhou<\/td><td class="n">2<\/td><td class="n">456\.00<\/td>.*<td>ap-shanghai<\/td>/s);
    expect(summaryLine(report)).toContain("over 3 env(s) in 2 regions");
  });
});

describe("a region that cannot be read", () => {
  it("makes the report partial, naming the region, with the other region's numbers intact", async () => {
    const shanghai = port("ap-shanghai");
    const down: BatchPort = {
      ...shanghai,
      listEnvs: async () => {
        throw new AppError("batch_unavailable", "Batch is unavailable in ap-shanghai", { status: 503 });
      },
    };
    const ports: Record<string, BatchPort> = { "ap-guangzhou": port("ap-guangzhou"), "ap-shanghai": down };
    const logger = memoryLogger();
    const handler = makeTimerHandler({
      regions: { names: ["ap-guangzhou", "ap-shanghai"], port: (r) => ports[r]! },
      config: { prices: buildPriceTable(), budgets: { envs: {}, tags: {}, regions: { "ap-shanghai": { monthly: 10 } } }, idleAlertHours: 0, timeZone: TZ },
      store: createFsReportStore({ dest: DEST, baseDir: cosDir }),
      alerter: { send: async () => {} },
      logger,
      clock: () => new Date(now),
    });

    const out = await handler({ from: new Date(day.from).toISOString(), to: new Date(day.to).toISOString() });

    expect(out.partial).toBe(true);
    expect(out.summary).toContain("not read: ap-shanghai");
    const report = JSON.parse(readFileSync(localPathOf(DEST, cosDir, `${date}/cost-report.json`), "utf8")) as CostReport;
    expect(report.partial).toBe(true);
    expect(report.assumptions.dataGaps).toContainEqual(
      expect.objectContaining({ code: "region_unreadable", region: "ap-shanghai", scope: "window", message: expect.stringContaining("region ap-shanghai could not be read") }),
    );
    expect(report.assumptions.dataGaps).toContainEqual(expect.objectContaining({ code: "budget_region_unread", region: "ap-shanghai" }));
    expect(report.regions.map((r) => [r.region, r.read, r.partial])).toEqual([
      ["ap-guangzhou", true, false],
      ["ap-shanghai", false, true],
    ]);
    expect(report.totals.cost).toBe(41.04);
    expect(renderMarkdown(report)).toContain("**Regions not read:** ap-shanghai");
    expect(renderHtml(report)).toContain('id="regions-unread"><b>Regions not read:</b> ap-shanghai;');
    expect(renderCsv(report)).not.toContain("ap-shanghai");
    expect(logger.lines).toContainEqual(expect.objectContaining({ level: "warn", code: "region_unreadable", region: "ap-shanghai" }));
  }, 20_000);

  it("fails the run, as with one region, when no region can be read", async () => {
    const down: BatchPort = {
      ...port("ap-shanghai"),
      listEnvs: async () => {
        throw new AppError("batch_unavailable", "Batch is unavailable", { status: 503 });
      },
    };
    const handler = makeTimerHandler({
      regions: { names: ["ap-guangzhou", "ap-shanghai"], port: () => down },
      config: { prices: buildPriceTable(), budgets: { envs: {}, tags: {} }, idleAlertHours: 0, timeZone: TZ },
      store: createFsReportStore({ dest: DEST, baseDir: cosDir }),
      alerter: { send: async () => {} },
      logger: memoryLogger(),
      clock: () => new Date(now),
    });
    await expect(handler({ from: new Date(day.from).toISOString(), to: new Date(day.to).toISOString() })).rejects.toMatchObject({ code: "batch_unavailable" });
  });
});
