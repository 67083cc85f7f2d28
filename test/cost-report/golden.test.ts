// Every rendering of three realistic reports, byte for byte, against files under golden/: a change
// to a renderer (or to the numbers behind it) shows here as a diff of what a reader gets. Review a
// diff before updating the files (`npx vitest run test/cost-report/golden.test.ts -u`).
import { describe, expect, it } from "vitest";
import { BudgetsSchema } from "../../functions/cost-report/budgets";
import { REPORT_FILES } from "../../functions/cost-report/handler";
import type { CostInputs, EnvInput, JobInput } from "../../functions/cost-report/model";
import { computeCostReport } from "../../functions/cost-report/compute";
import { renderHtml } from "../../functions/cost-report/render-html";
import { renderCsv, renderJobsCsv, renderJson, renderMarkdown, summaryLine } from "../../functions/cost-report/render-text";
import { buildPriceTable, PriceTableSchema } from "../../shared/prices";
import { DAY0, env, H, job } from "./inputs";

const D = 24 * H;

/**
 * Three Shanghai days across three served regions (ap-beijing unreadable): 12 envs with cost (the
 * chart draws 9 and "other"), hostile names, an unpriced type, an ABNORMAL node, tiered and
 * regional prices, 55 jobs (Markdown shows 20, HTML 50), budgets of every scope, an idle env.
 */
function fleet(): CostInputs {
  const envs: EnvInput[] = [];
  for (let i = 0; i < 10; i++) {
    const id = `env-gz0000${String(i).padStart(2, "0")}`;
    envs.push(
      env(id, i % 3 === 0 ? "BS1.LARGE24" : "BS1.LARGE8", [
        { id: `node-gz${i}0001`, start: DAY0 - (i + 1) * H },
        { id: `node-gz${i}0002`, start: DAY0 + (i + 2) * H, end: DAY0 + D + (i + 5) * H },
      ]),
    );
  }
  envs.push(
    env("env-hostile1", "BS1.LARGE8", [{ id: "node-hostile1", start: DAY0 + 3 * H, end: DAY0 + 2 * D }], {
      envName: '<img src=x onerror="alert(1)">|=cmd *bold* `code`\nline',
    }),
    env("env-unpriced", "S5.MEDIUM4", [{ id: "node-unpriced", start: DAY0 - 2 * H }], { nodes: [], instanceTypes: ["S5.MEDIUM4"] }),
    env("env-abnormal", "BS1.LARGE8", [{ id: "node-abnorm1", start: DAY0 + H, state: "ABNORMAL" }, { id: "node-abnorm2", start: DAY0, end: DAY0 + 5 * H, destroyCause: "heartbeat lost" }]),
    env("env-goneback", "BS1.LARGE8", [{ id: "node-gone0001", start: DAY0 + 4 * H, end: DAY0 + 9 * H }]),
    env("env-shanghai", "BS1.LARGE8", [{ id: "node-sh000001", start: DAY0 - 3 * D }], { region: "ap-shanghai", zone: "ap-shanghai-2", envName: "sh-farm" }),
    env("env-idle0001", "BS1.LARGE48", [{ id: "node-idle0001", start: DAY0 - 5 * D }], { envName: "idle" }),
  );
  // The unpriced env's node is alive, 4 cores, with no type known to the price table.
  envs[11]!.nodes = [{ nodeId: "node-unpriced", instanceId: "ins-unpriced", state: "RUNNING", cpu: 4, memGiB: 8, createdAt: DAY0 - 2 * H }];
  // A node gone without a DESTROY activity: node_end_unknown.
  envs[13]!.activities = envs[13]!.activities.filter((a) => a.type === "CREATE");
  const submitters = ["alice", "bob", "carol", '=HYPERLINK("http://x")', "dave|eve"];
  const jobs: JobInput[] = [];
  for (let i = 0; i < 55; i++) {
    const e = i % 10;
    const start = DAY0 + (i % 60) * H + i * 60_000;
    jobs.push(
      job(`job-${String(i).padStart(8, "0")}`, { submitter: submitters[i % submitters.length]!, team: i % 2 ? "render" : "sim" }, [
        { node: `node-gz${e}0001`, start, end: start + ((i % 7) + 1) * H },
        ...(i % 5 === 0 ? [{ node: "node-sh000001", start: start + H, end: start + 3 * H }] : []),
        ...(i % 11 === 0 ? [{ node: "node-elsewhere", start, end: start + H }] : []),
      ]),
    );
  }
  jobs.push(job("job-abnormal", { submitter: "alice" }, [{ node: "node-abnorm1", start: DAY0 + 2 * H, end: DAY0 + 4 * H }]));
  jobs.push(job("job-unpriced", {}, [{ node: "node-unpriced", start: DAY0 + H, end: DAY0 + 30 * H }]));
  jobs.push(job("job-running1", { submitter: "bob" }, [{ node: "node-gz10001", start: DAY0 + 70 * H }]));
  return {
    envs,
    jobs,
    jobsFrom: Date.parse("2019-01-31T16:00:00Z"),
    gaps: [
      { code: "region_unreadable", region: "ap-beijing", message: "region ap-beijing could not be read (its compute environments could not be listed); none of its cost is in this report: timeout", scope: "window" },
      { code: "job_unreadable", jobId: "job-lost0001", region: "ap-guangzhou", message: "job job-lost0001 could not be read; its busy time is counted as idle: <boom>", scope: "window" },
    ],
    regions: ["ap-guangzhou", "ap-shanghai", "ap-beijing"],
  };
}

const prices = buildPriceTable(
  PriceTableSchema.parse({
    types: { "BS1.LARGE8": { tiers: [{ fromHours: 0, perHour: 0.36 }, { fromHours: 24, perHour: 0.3 }, { fromHours: 96, perHour: 0.25 }] } },
    regions: { "ap-shanghai": { "BS1.LARGE8": { perCoreHour: 0.085 } } },
  }),
);
const budgets = BudgetsSchema.parse({
  total: { monthly: 300 },
  regions: { "ap-shanghai": { monthly: 10 }, "ap-beijing": { monthly: 10 }, "ap-chengdu": { monthly: 10 } },
  envs: { "env-gz000000": { monthly: 20, thresholds: [{ on: "projected", percent: 90 }] }, idle: { monthly: 500 }, "no-such-env": { monthly: 1 } },
  tags: { "submitter=alice": { monthly: 5 }, "team=render": { monthly: 1000 } },
});

const REPORTS = {
  // Three whole days, three regions, partial, budgets and alerts.
  fleet: computeCostReport(fleet(), {
    window: { from: DAY0, to: DAY0 + 3 * D, timeZone: "Asia/Shanghai" },
    now: DAY0 + 3 * D + 6 * H,
    prices,
    budgets,
    idleAlertHours: 24,
  }),
  // One region, a window across Berlin's DST change that has not ended yet, default prices.
  berlin: computeCostReport(
    {
      envs: [env("env-berlin01", "BS1.LARGE8", [{ id: "node-berlin01", start: Date.parse("2019-03-30T20:00:00Z") }], { region: "eu-frankfurt", zone: "eu-frankfurt-1" })],
      jobs: [job("job-berlin01", { submitter: "eve" }, [{ node: "node-berlin01", start: Date.parse("2019-03-31T02:00:00Z"), end: Date.parse("2019-03-31T05:30:00Z") }])],
      jobsFrom: Date.parse("2019-03-30T23:00:00Z"),
      gaps: [],
    },
    {
      window: { from: Date.parse("2019-03-30T23:00:00Z"), to: Date.parse("2019-04-01T22:00:00Z"), timeZone: "Europe/Berlin" },
      now: Date.parse("2019-04-01T09:17:42Z"),
      prices: buildPriceTable(),
      budgets: BudgetsSchema.parse({ total: { monthly: 100 } }),
    },
  ),
  // Nothing at all, in UTC: the empty chart and empty tables.
  empty: computeCostReport(
    { envs: [], jobs: [], jobsFrom: 0, gaps: [] },
    { window: { from: Date.parse("2019-02-20T00:00:00Z"), to: Date.parse("2019-02-21T00:00:00Z"), timeZone: "UTC" }, now: Date.parse("2019-02-22T00:00:00Z"), prices: buildPriceTable(), budgets: BudgetsSchema.parse({}) },
  ),
};

describe("every rendering, byte for byte", () => {
  it("the fleet report covers what it says it covers", () => {
    const r = REPORTS.fleet;
    expect(r.envs.filter((e) => e.summary.cost > 0).length).toBeGreaterThan(10);
    expect(r.jobs.length).toBeGreaterThan(50);
    expect(r.partial).toBe(true);
    expect(r.totals.wasteCoreHours).toBeGreaterThan(0);
    expect(r.totals.unpricedCoreHours).toBeGreaterThan(0);
    expect(r.assumptions.tiersApplied).toBe(true);
    expect(new Set(r.budgets.map((b) => b.scope))).toEqual(new Set(["total", "region", "env", "tag"]));
    expect(new Set(r.alerts.map((a) => a.kind))).toEqual(new Set(["budget.actual", "budget.projected", "cost.idle_env"]));
    expect(r.regions.map((x) => [x.region, x.read])).toEqual([["ap-guangzhou", true], ["ap-shanghai", true], ["ap-beijing", false]]);
    expect(REPORTS.berlin.window.countedTo).not.toBe(REPORTS.berlin.window.to);
  });

  for (const [name, report] of Object.entries(REPORTS)) {
    it.each(REPORT_FILES.map((f) => [f.name, f.render] as const))(`${name}: %s`, async (file, render) => {
      await expect(render(report)).toMatchFileSnapshot(`golden/${name}/${file}`);
    });
    it(`${name}: the log line`, async () => {
      await expect(`${summaryLine(report)}\n`).toMatchFileSnapshot(`golden/${name}/summary.txt`);
    });
  }

  it("the files are the renderings GET /costs answers with", () => {
    const r = REPORTS.fleet;
    const byName = Object.fromEntries(REPORT_FILES.map((f) => [f.name, f.render(r)]));
    expect(byName).toEqual({
      "cost-report.csv": renderCsv(r),
      "cost-report-jobs.csv": renderJobsCsv(r),
      "cost-report.md": renderMarkdown(r),
      "cost-report.html": renderHtml(r),
      "cost-report.json": renderJson(r),
    });
  });
});
