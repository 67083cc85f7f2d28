// The timer handler against the emulator through the real SDK: import a state with history
// (a node destroyed yesterday exists only as activities), fire the timer, read the files
// from a temp local COS folder.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeHandler } from "../../functions/cost-report/handler";
import { NO_BUDGETS } from "../../functions/cost-report/budgets";
import { costsRoutes } from "../../functions/cost-report/routes";
import { buildCostReport } from "../../functions/cost-report/report";
import type { CostReport } from "../../functions/cost-report/model";
import { buildPriceTable } from "../../shared/prices";
import { renderHtml } from "../../functions/cost-report/render-html";
import { CSV_COLUMNS, renderCsv, renderJson, renderMarkdown } from "../../functions/cost-report/render-text";
import { localDate } from "../../functions/cost-report/window";
import type { Alert } from "../../shared/alerts";
import { makeHttpHandler, parseApiKeys } from "../../shared/http";
import { memoryLogger } from "../../shared/log";
import { createFsReportStore, localPathOf } from "../../shared/report-store";
import { chromiumPath, chromiumRequired, countColor, decodePng, screenshot } from "../support/chromium";
import { costHistory, TZ } from "../support/cost-history";
import { startTestEmulator, type TestEmulator } from "../support/emulator";

const DEST = "cos://reports-1250000000.cos.ap-guangzhou.myqcloud.com/cost/";
const H = 3_600_000;
const timer = JSON.parse(readFileSync(new URL("../fixtures/timer.json", import.meta.url), "utf8")) as Record<string, unknown>;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

let t: TestEmulator;
let cosDir: string;
const now = Date.now();
const history = costHistory(now);
const { day, date } = history;

beforeAll(async () => {
  t = await startTestEmulator({ exec: false });
  cosDir = mkdtempSync(join(tmpdir(), "local-cos-"));
  const res = await fetch(`${t.emu.url}/_emulator/state`, { method: "PUT", body: JSON.stringify(history.state) });
  expect(res.status).toBe(200);
});

afterAll(async () => {
  await t?.stop();
  rmSync(cosDir, { recursive: true, force: true });
});

describe("cost-report end to end on the emulator", () => {
  const alerts: Alert[] = [];
  const logger = memoryLogger({ function: "cost-report" });
  const read = (name: string) => readFileSync(localPathOf(DEST, cosDir, `${date}/${name}`), "utf8");
  let report: CostReport;

  beforeAll(async () => {
    const handler = makeHandler({
      config: { prices: buildPriceTable(), budgets: { total: { monthly: 1 }, envs: {}, tags: {} }, idleAlertHours: 0, timeZone: TZ },
      batch: t.port,
      store: createFsReportStore({ dest: DEST, baseDir: cosDir }),
      alerter: { send: async (a) => void alerts.push(a) },
      logger,
      clock: () => new Date(now),
    });
    const out = await handler({ ...timer, Time: iso(now) }, { request_id: "req-1" });
    expect(out.files).toHaveLength(5);
    report = JSON.parse(read("cost-report.json")) as CostReport;
  }, 20_000);

  it("writes the JSON report with yesterday's numbers, counting the nodes already destroyed", () => {
    expect(report.kind).toBe("batch-cost-report");
    expect(report.window.days).toEqual([date]);
    expect(report.partial).toBe(false);
    const farm = report.envs.find((e) => e.envId === "env-cost0001");
    // 2 × 24 h + 6 h on 4 cores = 216 core-hours at 0.09 = 19.44; 10 h busy = 40 core-hours.
    expect(farm?.summary).toMatchObject({ coreHours: 216, cost: 19.44, busyCoreHours: 40, idleCoreHours: 176 });
    expect(report.envs.find((e) => e.envId === "env-cost0002")?.summary).toMatchObject({ coreHours: 240, cost: 21.6 });
    expect(report.totals.cost).toBe(41.04);
    expect(report.jobs).toEqual([expect.objectContaining({ jobId: "job-cost0001", submitter: "alice", coreHours: 40, cost: 3.6 })]);
  });

  it("writes a flat CSV and a Markdown summary with the same numbers", () => {
    const lines = read("cost-report.csv").trim().split("\r\n");
    expect(lines[0]).toBe(CSV_COLUMNS.join(","));
    expect(lines.slice(1).sort()).toEqual(
      [
        `${date},env-cost0001,render-farm,ap-guangzhou,BS1.LARGE8,true,54,216,40,176,81.48,0,0,19.44,15.84,0.00,CNY`,
        `${date},env-cost0002,big-mem,ap-guangzhou,BS1.LARGE48,true,10,240,0,240,100,0,0,21.60,21.60,0.00,CNY`,
      ].sort(),
    );
    const md = read("cost-report.md");
    expect(md).toContain("Cost: **41.04 CNY**");
    expect(md).toMatch(/\| alice \| 1 \| 40 \| 3\.60 \|/);
  });

  it("writes a self-contained HTML page with a bar per env in the chart", () => {
    const html = read("cost-report.html");
    expect(html).not.toMatch(/<script|<link|src=|href=/i);
    const svg = html.slice(html.indexOf("<svg"), html.indexOf("</svg>"));
    const bars = [...svg.matchAll(/<rect [^>]*fill="(#[0-9a-f]{6})"><title>([^<]*)<\/title>/g)].map((m) => m[2]);
    expect(bars.sort()).toEqual([`${date} big-mem (env-cost0002): 21.60 CNY`, `${date} render-farm (env-cost0001): 19.44 CNY`].sort());
    expect(html).toContain('id="total-cost">Cost<b>41.04 CNY</b>');
  });

  it("logs one summary line and sends the budget alerts of a scheduled run", () => {
    const line = logger.lines.find((l) => String(l.msg).startsWith("cost "));
    expect(line).toMatchObject({ level: "info", request_id: "req-1", cost: 41.04 });
    expect(String(line?.msg)).toContain("41.04 CNY");
    expect(alerts.map((a) => a.kind)).toContain("budget.actual");
  });

  it.skipIf(!chromiumPath() && !chromiumRequired())("renders the HTML in headless Chromium with the chart's bars visible", async () => {
    const png = decodePng(await screenshot(localPathOf(DEST, cosDir, `${date}/cost-report.html`)));
    expect(countColor(png, "#2f6fde")).toBeGreaterThan(200);
    expect(countColor(png, "#e8833a")).toBeGreaterThan(200);
  }, 60_000);
});

describe("cost-report with the production defaults", () => {
  it("runs the idle check (IDLE_ALERT_HOURS 24) at a millisecond clock and stays complete", async () => {
    const at = Math.floor(now / 1000) * 1000 + 537;
    const report = await buildCostReport(
      { batch: t.port, prices: buildPriceTable(), idleAlertHours: 24, timeZone: TZ },
      { from: at - 3 * H, to: at, now: at },
    );
    expect(report.assumptions.dataGaps.map((g) => g.code)).not.toContain("idle_uncovered");
    expect(report.partial).toBe(false);
  }, 20_000);
});

describe("cost-report when Batch cannot answer everything", () => {
  it("writes a partial report that names the gap, for a backfill window, without re-sending alerts", async () => {
    const alerts: Alert[] = [];
    const handler = makeHandler({
      config: { prices: buildPriceTable(), budgets: { total: { monthly: 1 }, envs: {}, tags: {} }, idleAlertHours: 0, timeZone: TZ },
      batch: t.port,
      store: createFsReportStore({ dest: DEST, baseDir: cosDir }),
      alerter: { send: async (a) => void alerts.push(a) },
      logger: memoryLogger(),
      clock: () => new Date(now),
    });
    await fetch(`${t.emu.url}/_emulator/faults`, { method: "POST", body: JSON.stringify({ action: "DescribeComputeEnvActivities", code: "InternalError", count: 50 }) });
    try {
      const from = localDate(day.from - 24 * H, TZ);
      const out = await handler({ from, to: localDate(day.to, TZ) }, {});
      expect(out.partial).toBe(true);
      expect(out.alerts).toBe(0);
      const json = JSON.parse(readFileSync(localPathOf(DEST, cosDir, `${from}_${date}/cost-report.json`), "utf8")) as CostReport;
      expect(json.partial).toBe(true);
      expect(json.assumptions.dataGaps.map((g) => g.code)).toContain("activities_unreadable");
      expect(readFileSync(localPathOf(DEST, cosDir, `${from}_${date}/cost-report.md`), "utf8")).toContain("**Partial report:**");
      expect(alerts).toEqual([]);
    } finally {
      await fetch(`${t.emu.url}/_emulator/faults`, { method: "DELETE" });
    }
  }, 20_000);
});

describe("cost-report when the node list cannot be read", () => {
  it("says so once per env, not once per node, and stays a lower bound", async () => {
    await fetch(`${t.emu.url}/_emulator/faults`, { method: "POST", body: JSON.stringify({ action: "DescribeComputeEnv", code: "ResourceNotFound.ComputeEnv", count: 10 }) });
    try {
      const report = await buildCostReport({ batch: t.port, prices: buildPriceTable(), timeZone: TZ }, { from: day.from, to: day.to, now });
      const codes = report.assumptions.dataGaps.map((g) => g.code);
      expect(codes.filter((c) => c === "env_nodes_unreadable")).toHaveLength(2);
      expect(codes).not.toContain("node_end_unknown");
      expect(report.partial).toBe(true);
      // Only what the activities prove: node-cost0003's 6 h and node-cost0004's 10 h.
      expect(report.totals.coreHours).toBe(6 * 4 + 10 * 24);
    } finally {
      await fetch(`${t.emu.url}/_emulator/faults`, { method: "DELETE" });
    }
  }, 20_000);
});

describe("GET /costs on demand (the cost-report function's HTTP trigger)", () => {
  const apigw = JSON.parse(readFileSync(new URL("../fixtures/apigw-captured-style.json", import.meta.url), "utf8")) as Record<string, unknown>;
  const get = (query: Record<string, unknown>, key = "reader-key-0123456789") =>
    makeHttpHandler({
      routes: costsRoutes({
        batch: t.port,
        config: { prices: buildPriceTable(), budgets: NO_BUDGETS, idleAlertHours: 0, timeZone: TZ },
        clock: () => new Date(now),
      }),
      keys: parseApiKeys("reader:reader-key-0123456789:envs:read,writer:writer-key-0123456789:jobs:write"),
      logger: memoryLogger(),
    })({
      ...apigw,
      headers: { ...(apigw.headers as object), authorization: `Bearer ${key}` },
      path: "/costs",
      queryString: query,
      queryStringParameters: query,
      pathParameters: {},
      requestContext: { ...(apigw.requestContext as object), path: "/costs" },
    });

  it("answers the same numbers as the timer's report, as JSON or CSV", async () => {
    const res = await get({ from: date, to: localDate(day.to, TZ) });
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body) as CostReport;
    expect(body.totals.cost).toBe(41.04);
    expect(body.window.days).toEqual([date]);
    const csv = await get({ from: date, to: localDate(day.to, TZ), format: "csv" });
    expect(csv.headers["content-type"]).toMatch(/^text\/csv/);
    expect(csv.body).toContain(`${date},env-cost0002,big-mem,ap-guangzhou,BS1.LARGE48,true,10,240`);
  }, 20_000);

  it("answers every format with its content type, rendered from the same report", async () => {
    const q = { from: date, to: localDate(day.to, TZ) };
    const report = JSON.parse((await get(q)).body) as CostReport;
    const expected = {
      json: ["application/json", renderJson(report)],
      csv: ["text/csv; charset=utf-8", renderCsv(report)],
      md: ["text/markdown; charset=utf-8", renderMarkdown(report)],
      html: ["text/html; charset=utf-8", renderHtml(report)],
    };
    for (const [format, [type, body]] of Object.entries(expected)) {
      const res = await get({ ...q, format });
      expect([res.statusCode, res.headers["content-type"], res.body]).toEqual([200, type, body]);
    }
  }, 20_000);

  it("names the bad field, and needs the envs:read scope", async () => {
    const bad = await get({ from: "yesterday", to: date });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers["content-type"]).toBe("application/problem+json");
    expect(JSON.parse(bad.body).errors).toEqual([expect.objectContaining({ path: "from" })]);
    expect((await get({ from: date, to: localDate(day.to, TZ) }, "writer-key-0123456789")).statusCode).toBe(403);
    expect((await get({ from: date, to: localDate(day.to, TZ) }, "nobody")).statusCode).toBe(401);
  });
});
