import { describe, expect, it } from "vitest";
import { NO_BUDGETS } from "../../functions/cost-report/budgets";
import { computeCostReport } from "../../functions/cost-report/compute";
import { buildPriceTable } from "../../shared/prices";
import { renderHtml } from "../../functions/cost-report/render-html";
import { renderCsv, renderJobsCsv, renderMarkdown, summaryLine } from "../../functions/cost-report/render-text";
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
