// The report as one self-contained HTML page: inline CSS and an inline SVG chart of daily
// cost per env; no scripts, no external resources (a CSP forbids them too).
import type { CostReport } from "./model";
import { localStamp, money, severalRegions, unreadRegions, windowLabel } from "./render-text";
import { type CellKind, type Column, envColumns, JOB_COLUMNS, REGION_COLUMNS } from "./tables";

export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);

const PALETTE = ["#2f6fde", "#e8833a", "#3aa55d", "#c94c4c", "#8a5cc2", "#9a7b4f", "#d46bb3", "#6f7f8f", "#b5b83a", "#2fb5c4"];
/** Envs beyond this many are drawn together as "other". */
const MAX_SERIES = PALETTE.length - 1;

const fmt = (v: number) => v.toFixed(2);

/** An HTML cell: text escaped; numbers right-aligned, hours and money with two decimals, percent with `%`. */
function htmlCell(kind: CellKind, v: string | number): string {
  if (kind === "text") return `<td>${escapeHtml(String(v))}</td>`;
  return `<td class="n">${kind === "hours" || kind === "money" ? fmt(Number(v)) : kind === "percent" ? `${v}%` : v}</td>`;
}
const htmlRow = <T>(columns: readonly Column<T>[], row: T) => `<tr>${columns.map((c) => htmlCell(c.kind, c.value(row))).join("")}</tr>`;
/** A table's header row: numbers right-aligned, money columns naming the (escaped) currency. */
const htmlHead = <T>(columns: readonly Column<T>[], currency: string) =>
  `<thead><tr>${columns.map((c) => (c.kind === "text" ? `<th>${c.head}</th>` : `<th class="n">${c.head}${c.kind === "money" ? ` (${currency})` : ""}</th>`)).join("")}</tr></thead>`;

export interface AxisTicks {
  /** 0, step, 2 × step, …: 3 to 5 steps, the last at or above the maximum. */
  values: number[];
  /** Each value printed with enough decimals (at least 2) that no two labels are equal. */
  labels: string[];
}

/** Ticks at a "nice" step, 1, 2 or 5 × 10^k, the smallest that covers `max` in 5 steps (0 or less: 0 to 1). */
export function axisTicks(max: number): AxisTicks {
  const top = max > 0 ? max : 1;
  // A step within rounding of top / 5 is taken (1e-6 × 1.0000000000000002 still has a step of 2e-7).
  const target = (top / 5) * (1 - 1e-9);
  let k = Math.floor(Math.log10(target));
  let m = [1, 2, 5, 10].find((n) => n * 10 ** k >= target) ?? 10;
  if (m === 10) [m, k] = [1, k + 1];
  // m × 10^k, exact for k < 0 too (0.1 × 3 is not 0.3, 3 / 10 is).
  const at = (i: number) => (k < 0 ? (i * m) / 10 ** -k : i * m * 10 ** k);
  const steps = Math.ceil(top / at(1) - 1e-9);
  const values = Array.from({ length: steps + 1 }, (_, i) => at(i));
  return { values, labels: values.map((v) => v.toFixed(Math.max(2, -k))) };
}

export interface Series {
  label: string;
  color: string;
  values: number[];
}

/** Daily cost per env as stacked series (largest envs first, the rest as "other"). An env's `days` are the window's, in order. */
export function chartSeries(r: CostReport): Series[] {
  const envs = r.envs.filter((e) => e.days.some((d) => d.cost > 0));
  const shown = envs.slice(0, envs.length > MAX_SERIES + 1 ? MAX_SERIES : envs.length);
  const rest = envs.slice(shown.length);
  const series: Series[] = shown.map((e, i) => ({
    label: e.envName ? `${e.envName} (${e.envId})` : e.envId,
    color: PALETTE[i % PALETTE.length]!,
    values: e.days.map((d) => d.cost),
  }));
  if (rest.length > 0) {
    series.push({
      label: `other (${rest.length} envs)`,
      color: PALETTE[PALETTE.length - 1]!,
      values: r.window.days.map((_, i) => rest.reduce((s, e) => s + (e.days[i]?.cost ?? 0), 0)),
    });
  }
  return series;
}

export function renderChart(r: CostReport): string {
  const days = r.window.days;
  const series = chartSeries(r);
  const width = 860;
  const height = 320;
  const left = 64;
  const right = 16;
  const top = 16;
  const bottom = 56;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const totals = days.map((_, i) => series.reduce((s, x) => s + (x.values[i] ?? 0), 0));
  const ticks = axisTicks(Math.max(0, ...totals));
  const max = ticks.values[ticks.values.length - 1]!;
  const slot = plotW / Math.max(1, days.length);
  const barW = Math.max(2, Math.min(48, slot * 0.7));
  const y = (v: number) => top + plotH - (v / max) * plotH;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="chart-title" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" class="chart">`,
  );
  parts.push(`<title id="chart-title">Daily cost per compute environment (${escapeHtml(r.currency)})</title>`);
  ticks.values.forEach((v, k) => {
    const at = y(v).toFixed(1);
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${at}" y2="${at}" class="grid"/>`);
    parts.push(`<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" class="axis">${ticks.labels[k]}</text>`);
  });
  const labelEvery = Math.max(1, Math.ceil(days.length / 12));
  days.forEach((date, i) => {
    const x = left + slot * i + (slot - barW) / 2;
    let base = 0;
    for (const s of series) {
      const v = s.values[i] ?? 0;
      if (v <= 0) continue;
      const y1 = y(base + v);
      const h = y(base) - y1;
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${y1.toFixed(1)}" width="${barW.toFixed(1)}" height="${Math.max(0.5, h).toFixed(1)}" fill="${s.color}"><title>${escapeHtml(`${date} ${s.label}: ${money(v, r.currency)}`)}</title></rect>`,
      );
      base += v;
    }
    if (i % labelEvery === 0)
      parts.push(`<text x="${(x + barW / 2).toFixed(1)}" y="${height - bottom + 16}" text-anchor="middle" class="axis">${escapeHtml(date.slice(5))}</text>`);
  });
  parts.push(`<line x1="${left}" x2="${width - right}" y1="${y(0)}" y2="${y(0)}" class="axis-line"/>`);
  series.forEach((s, i) => {
    const lx = left + (i % 4) * 196;
    const ly = height - 22 + Math.floor(i / 4) * 14 - (series.length > 4 ? 8 : 0);
    parts.push(`<rect x="${lx}" y="${ly - 9}" width="10" height="10" fill="${s.color}"/>`);
    parts.push(`<text x="${lx + 14}" y="${ly}" class="legend">${escapeHtml(s.label.length > 28 ? `${s.label.slice(0, 27)}…` : s.label)}</text>`);
  });
  if (series.length === 0)
    parts.push(`<text x="${left + plotW / 2}" y="${top + plotH / 2}" text-anchor="middle" class="axis">no cost in this window</text>`);
  parts.push("</svg>");
  return parts.join("");
}

export function renderHtml(r: CostReport): string {
  const c = escapeHtml(r.currency);
  const t = r.totals;
  const title = `Batch cost ${windowLabel(r)}`;
  const several = severalRegions(r);
  const unread = unreadRegions(r);
  const regionRows = several
    ? r.regions
        .map((x) => (x.read ? htmlRow(REGION_COLUMNS, x) : `<tr class="unread"><td>${escapeHtml(x.region)}</td><td colspan="${REGION_COLUMNS.length - 1}">not read</td></tr>`))
        .join("")
    : "";
  const envs = envColumns(several);
  const envRows = r.envs.map((e) => htmlRow(envs, e)).join("");
  const jobRows = r.jobs
    .slice(0, 50)
    .map((j) => htmlRow(JOB_COLUMNS, j))
    .join("");
  const gaps = r.assumptions.dataGaps
    .map((g) => `<li><code>${escapeHtml(g.code)}</code> ${escapeHtml(g.message)}</li>`)
    .join("");
  const alerts = r.alerts.map((a) => `<li class="${escapeHtml(a.severity)}">${escapeHtml(a.summary)}</li>`).join("");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1d2330;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}
.muted{color:#5b6475}.partial{background:#fff4e5;border:1px solid #f0b46a;padding:8px 12px;border-radius:6px}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}.card{border:1px solid #dde2ea;border-radius:8px;padding:10px 14px;min-width:150px}
.card b{display:block;font-size:20px}table{border-collapse:collapse;width:100%;max-width:1000px}
th,td{border-bottom:1px solid #e6e9ef;padding:5px 8px;text-align:left}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.chart .grid{stroke:#e6e9ef}.chart .axis-line{stroke:#8a93a5}.chart .axis,.chart .legend{font-size:11px;fill:#5b6475}
li.critical{color:#a61b1b}li.warning{color:#8a5a00}
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="muted">Window ${localStamp(r, r.window.from)} – ${localStamp(r, r.window.to)} (${escapeHtml(r.window.timeZone)}); generated ${localStamp(r, r.generatedAt)}; report v${r.version}.</p>
${r.partial ? `<p class="partial" id="partial"><b>Partial report.</b> Some data could not be read (see Data gaps); the numbers are lower bounds.</p>` : ""}
${unread ? `<p class="partial" id="regions-unread"><b>Regions not read:</b> ${escapeHtml(unread)}; none of their cost is in this report.</p>` : ""}
<div class="cards">
<div class="card" id="total-cost">Cost<b>${money(t.cost, c)}</b></div>
<div class="card">Core-hours<b>${fmt(t.coreHours)}</b></div>
<div class="card" id="idle">Idle<b>${money(t.idleCost, c)}</b>${fmt(t.idleCoreHours)} core-hours (${t.idlePercent}%)</div>
<div class="card">Month ${escapeHtml(r.month.month)}<b>${money(r.month.actualCost, c)}</b>projected ${money(r.month.projectedCost, c)}</div>
</div>
${regionRows ? `<h2>Regions</h2><table id="regions">${htmlHead(REGION_COLUMNS, c)}<tbody>${regionRows}</tbody></table>` : ""}
<h2>Daily cost per compute environment</h2>
${renderChart(r)}
<h2>Compute environments</h2>
<table>${htmlHead(envs, c)}<tbody>${envRows}</tbody></table>
${jobRows ? `<h2>Jobs</h2><table>${htmlHead(JOB_COLUMNS, c)}<tbody>${jobRows}</tbody></table>` : ""}
${alerts ? `<h2>Alerts</h2><ul>${alerts}</ul>` : ""}
<h2>Assumptions</h2>
<ul><li>Prices: ${escapeHtml(r.assumptions.priceSource)}; tiers ${r.assumptions.tiersApplied ? "applied" : "not applied"}</li>${Object.entries(r.assumptions.rules)
    .map(([k, v]) => `<li>${escapeHtml(k)}: ${escapeHtml(v)}</li>`)
    .join("")}</ul>
${gaps ? `<h2>Data gaps</h2><ul>${gaps}</ul>` : ""}
</body>
</html>
`;
}
