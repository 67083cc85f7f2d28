import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NO_BUDGETS } from "../../functions/cost-report/budgets";
import { computeCostReport } from "../../functions/cost-report/compute";
import { buildPriceTable } from "../../shared/prices";
import { axisTicks, renderHtml } from "../../functions/cost-report/render-html";
import { renderCsv, renderJobsCsv, renderMarkdown, summaryLine } from "../../functions/cost-report/render-text";
import { zonedIso } from "../../functions/cost-report/window";
import { DAY0, env, H, inputs, job, SHANGHAI_DAY } from "./inputs";

// Names come from whoever created the env or submitted the job: treat them as hostile.
const hostile = env("env-pppppppp", "BS1.LARGE8", [{ id: "node-ppppppp1", start: DAY0 - H }], { envName: '<img src=x onerror="alert(1)">|=cmd' });
const j = job("job-ppppppp1", { submitter: "=HYPERLINK(\"http://x\")" }, [{ node: "node-ppppppp1", start: DAY0, end: DAY0 + H }]);
const report = computeCostReport(inputs([hostile], [j]), { window: SHANGHAI_DAY, now: DAY0 + 30 * H, prices: buildPriceTable(), budgets: NO_BUDGETS });

describe("rendering", () => {
  it("escapes names in the HTML page and loads nothing from outside", () => {
    const html = renderHtml(report);
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
    expect(html).toMatch(/Content-Security-Policy" content="default-src 'none'/);
    const tags = [...html.matchAll(/<([a-z]+)\b([^>]*)>/gi)];
    expect(new Set(tags.map((t) => t[1]?.toLowerCase()))).not.toContain("script");
    expect(tags.filter((t) => /\b(src|href|onerror|onload)=/i.test(t[2] ?? ""))).toEqual([]);
  });

  it("neutralises spreadsheet formulas and quotes cells in the CSVs", () => {
    const row = renderCsv(report).split("\r\n")[1];
    expect(row).toContain(`"<img src=x onerror=""alert(1)"">|=cmd"`);
    expect(renderJobsCsv(report)).toContain(`"'=HYPERLINK(""http://x"")"`);
  });

  it("keeps the Markdown tables intact and says how much the window cost", () => {
    const md = renderMarkdown(report);
    const envLine = md.split("\n").find((l) => l.startsWith("| env-pppppppp"));
    expect(envLine?.split(/(?<!\\)\|/).length).toBe(11);
    expect(md).toContain("Cost: **8.64 CNY** for 96 core-hours");
    expect(summaryLine(report)).toBe(
      "cost 2019-02-20 (Asia/Shanghai): 8.64 CNY for 96 core-hours over 1 env(s); idle 92 core-hours = 8.28 CNY (95.83%); month 2019-02 9.00 CNY, projected 12.60 CNY",
    );
  });
});

describe("the chart's axis", () => {
  it.each([
    [0, ["0.00", "0.20", "0.40", "0.60", "0.80", "1.00"]],
    [0.004, ["0.000", "0.001", "0.002", "0.003", "0.004"]],
    [0.02, ["0.000", "0.005", "0.010", "0.015", "0.020"]],
    [0.03, ["0.00", "0.01", "0.02", "0.03"]],
    [9, ["0.00", "2.00", "4.00", "6.00", "8.00", "10.00"]],
    [12.6, ["0.00", "5.00", "10.00", "15.00"]],
    [12345, ["0.00", "5000.00", "10000.00", "15000.00"]],
  ])("labels a maximum of %s with 1, 2 or 5 × 10^k steps: %j", (max, labels) => {
    expect(axisTicks(max).labels).toEqual(labels);
  });

  it("never repeats a label, starts at 0, covers the maximum in 3 to 5 steps", () => {
    fc.assert(
      fc.property(fc.oneof(fc.double({ min: 1e-6, max: 1e7, noNaN: true }), fc.integer({ min: 0, max: 100_000 }).map((n) => n / 100)), (max) => {
        const { values, labels } = axisTicks(max);
        expect(new Set(labels).size).toBe(labels.length);
        expect(values[0]).toBe(0);
        expect(values[values.length - 1]).toBeGreaterThanOrEqual(max * (1 - 1e-9));
        expect(values.length - 1).toBeGreaterThanOrEqual(max > 0 ? 3 : 5);
        expect(values.length - 1).toBeLessThanOrEqual(5);
        for (const [i, l] of labels.entries()) expect(Number(l)).toBeCloseTo(values[i]!, 10);
      }),
    );
  });

  it("draws the labels it computed: a day of 0.02 CNY is no longer 0.01, 0.01, 0.01, 0.00", () => {
    const small = env("env-qqqqqqqq", "BS1.LARGE8", [{ id: "node-qqqqqqq1", start: DAY0 + 24 * H - 200_000 }]);
    const r = computeCostReport(inputs([small]), { window: SHANGHAI_DAY, now: DAY0 + 30 * H, prices: buildPriceTable(), budgets: NO_BUDGETS });
    expect(r.totals.cost).toBe(0.02);
    const axis = [...renderHtml(r).matchAll(/class="axis">([\d.]+)</g)].map((m) => m[1]);
    expect(axis).toEqual(["0.000", "0.005", "0.010", "0.015", "0.020"]);
  });
});

describe("header stamps", () => {
  it("prints the window and generation time in the report's zone, with its offset", () => {
    expect(report.window.from).toBe("2019-02-19T16:00:00Z"); // the JSON keeps UTC, marked Z
    const md = renderMarkdown(report);
    expect(md).toContain("Window 2019-02-20T00:00:00+08:00 – 2019-02-21T00:00:00+08:00 (Asia/Shanghai), generated 2019-02-21T06:00:00+08:00.");
    expect(renderHtml(report)).toContain("Window 2019-02-20T00:00:00+08:00 – 2019-02-21T00:00:00+08:00 (Asia/Shanghai); generated 2019-02-21T06:00:00+08:00;");
    expect(md).not.toMatch(/\d{2}Z/);
  });

  it("follows the zone's offset through a DST change, and says +00:00 for UTC", () => {
    const opts = { now: Date.parse("2019-04-01T12:00:00Z"), prices: buildPriceTable(), budgets: NO_BUDGETS };
    const berlin = computeCostReport(inputs([]), { ...opts, window: { from: Date.parse("2019-03-30T23:00:00Z"), to: Date.parse("2019-03-31T22:00:00Z"), timeZone: "Europe/Berlin" } });
    expect(renderMarkdown(berlin)).toContain("Window 2019-03-31T00:00:00+01:00 – 2019-04-01T00:00:00+02:00 (Europe/Berlin), generated 2019-04-01T14:00:00+02:00.");
    const utc = computeCostReport(inputs([]), { ...opts, window: { from: Date.parse("2019-03-31T00:00:00Z"), to: Date.parse("2019-04-02T00:00:00Z"), timeZone: "UTC" } });
    const md = renderMarkdown(utc);
    expect(md).toContain("Window 2019-03-31T00:00:00+00:00 – 2019-04-02T00:00:00+00:00 (UTC), generated 2019-04-01T12:00:00+00:00.");
    expect(md).toContain("Counted up to 2019-04-01T12:00:00+00:00 (the window has not ended yet).");
  });

  it("prints a zone west of UTC with a minus sign", () => {
    expect(zonedIso(Date.parse("2019-02-20T05:30:00Z"), "America/St_Johns")).toBe("2019-02-20T02:00:00-03:30");
  });
});
