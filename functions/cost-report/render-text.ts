// The report as JSON, CSV (flat columns) and a Markdown summary. Rendering only: every
// number comes from the report.
import type { BudgetStatus, CostReport, CostRow, GroupReport } from "./model";
import { type CellKind, type Column, envColumns, hoursColumn, JOB_COLUMNS, moneyColumn, numberColumn, REGION_COLUMNS, textColumn } from "./tables";
import { zonedIso } from "./window";

export const renderJson = (r: CostReport): string => `${JSON.stringify(r, null, 2)}\n`;

export const CSV_COLUMNS = [
  "date",
  "env_id",
  "env_name",
  "region",
  "instance_type",
  "priced",
  "node_hours",
  "core_hours",
  "busy_core_hours",
  "idle_core_hours",
  "idle_percent",
  "waste_core_hours",
  "unpriced_core_hours",
  "cost",
  "idle_cost",
  "waste_cost",
  "currency",
] as const;

/** RFC 4180 quoting; a leading = + - @ is neutralised so spreadsheets do not run it. */
export function csvCell(v: string | number | boolean): string {
  let s = String(v);
  if (typeof v === "string" && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The header, then a line of cells per item, each line ended by CRLF. */
function csvTable<T>(columns: readonly string[], items: readonly T[], cells: (item: T) => Array<string | number | boolean>): string {
  const lines = [columns.join(",")];
  for (const item of items) lines.push(cells(item).map(csvCell).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

export function renderCsv(r: CostReport): string {
  return csvTable(CSV_COLUMNS, r.rows, (row) => [
    row.date,
    row.envId,
    row.envName,
    row.region,
    row.instanceType,
    row.priced,
    row.nodeHours,
    row.coreHours,
    row.busyCoreHours,
    row.idleCoreHours,
    row.idlePercent,
    row.wasteCoreHours,
    row.unpricedCoreHours,
    row.priced ? row.cost.toFixed(2) : "",
    row.priced ? row.idleCost.toFixed(2) : "",
    row.priced ? row.wasteCost.toFixed(2) : "",
    r.currency,
  ]);
}

export const JOB_CSV_COLUMNS = ["job_id", "job_name", "submitter", "tags", "env_ids", "instances", "core_hours", "cost", "unpriced_core_hours", "outside_env_instances", "currency"] as const;

export function renderJobsCsv(r: CostReport): string {
  return csvTable(JOB_CSV_COLUMNS, r.jobs, (j) => [
    j.jobId,
    j.jobName,
    j.submitter,
    j.tags.map((t) => `${t.key}=${t.value}`).join(";"),
    j.envIds.join(";"),
    j.instances,
    j.coreHours,
    j.cost.toFixed(2),
    j.unpricedCoreHours,
    j.outsideEnvInstances,
    r.currency,
  ]);
}

/** An amount with two decimals and its currency: `8.64 CNY`. */
export const money = (v: number, cur: string) => `${v.toFixed(2)} ${cur}`;
const hours = (v: number) => (Math.round(v * 100) / 100).toString();
/** Markdown table cells: pipes and newlines would break the table. */
const md = (s: string) => s.replace(/[|\\`*_[\]<>]/g, (c) => `\\${c}`).replace(/[\r\n]+/g, " ");

/** A Markdown cell: text escaped, hours to two decimals without trailing zeros (`12.5`), money with two. */
function mdCell(kind: CellKind, v: string | number): string {
  if (kind === "text") return md(String(v));
  if (kind === "hours") return hours(Number(v));
  return kind === "money" ? Number(v).toFixed(2) : String(v);
}
const mdRow = <T>(columns: readonly Column<T>[], row: T) => `| ${columns.map((c) => mdCell(c.kind, c.value(row))).join(" | ")} |`;
/** The header and its alignment line (text left, the rest right). */
const mdHead = <T>(columns: readonly Column<T>[]) => [
  `| ${columns.map((c) => c.head).join(" | ")} |`,
  `|${columns.map((c) => (c.kind === "text" ? "---" : "---:")).join("|")}|`,
];
const mdTable = <T>(columns: readonly Column<T>[], rows: readonly T[]) => [...mdHead(columns), ...rows.map((row) => mdRow(columns, row))];

/** The tables only the Markdown shows. */
const DAY_COLUMNS: readonly Column<CostRow>[] = [
  textColumn("day", (row) => row.date),
  textColumn("env", (row) => row.envId),
  textColumn("type", (row) => row.instanceType),
  hoursColumn("node-hours", (row) => row.nodeHours),
  hoursColumn("core-hours", (row) => row.coreHours),
  numberColumn("cost", (row) => (row.priced ? row.cost.toFixed(2) : "unpriced")),
];
const SUBMITTER_COLUMNS: readonly Column<GroupReport>[] = [
  textColumn("submitter", (g) => g.value),
  numberColumn("jobs", (g) => g.jobs),
  hoursColumn("core-hours", (g) => g.coreHours),
  moneyColumn("cost", (g) => g.cost),
];
const BUDGET_COLUMNS: readonly Column<BudgetStatus>[] = [
  textColumn("scope", (b) => b.scope),
  textColumn("name", (b) => b.name),
  moneyColumn("monthly", (b) => b.monthly),
  numberColumn("actual", (b) => `${b.actual.toFixed(2)} (${b.actualPercent}%)`),
  numberColumn("projected", (b) => `${b.projected.toFixed(2)} (${b.projectedPercent}%)`),
  textColumn("crossed", (b) => b.crossed.map((x) => `${x.on} ≥ ${x.percent}%`).join(", ") || "–"),
];

/** A stamp of the report (ISO-8601 UTC) in the report's zone, with its offset. */
export const localStamp = (r: CostReport, iso: string): string => zonedIso(Date.parse(iso), r.window.timeZone);

export function windowLabel(r: CostReport): string {
  const d = r.window.days;
  return d.length === 1 ? `${d[0]}` : `${d[0] ?? r.window.from} – ${d[d.length - 1] ?? r.window.to}`;
}

/** More than one region in the report: the renderings show where each env is and a section per region. */
export const severalRegions = (r: CostReport): boolean => r.regions.length > 1;
/** The regions that could not be read, comma-separated ("" when every one was). */
export const unreadRegions = (r: CostReport): string =>
  r.regions
    .filter((x) => !x.read)
    .map((x) => x.region)
    .join(", ");

/** One line for the log. */
export function summaryLine(r: CostReport): string {
  const t = r.totals;
  const unread = unreadRegions(r);
  return (
    `cost ${windowLabel(r)} (${r.window.timeZone}): ${money(t.cost, r.currency)} for ${hours(t.coreHours)} core-hours ` +
    `over ${r.envs.length} env(s)${severalRegions(r) ? ` in ${r.regions.length} regions` : ""}; idle ${hours(t.idleCoreHours)} core-hours = ${money(t.idleCost, r.currency)} (${t.idlePercent}%); ` +
    `month ${r.month.month} ${money(r.month.actualCost, r.currency)}, projected ${money(r.month.projectedCost, r.currency)}` +
    (r.partial ? `; PARTIAL: ${r.assumptions.dataGaps.filter((g) => g.scope === "window").length} data gap(s)${unread ? ` (not read: ${unread})` : ""}` : "")
  );
}

export function renderMarkdown(r: CostReport): string {
  const c = r.currency;
  const t = r.totals;
  const out: string[] = [];
  /** A `## title` section after a blank line (a loop, not a spread: a year of rows is too many arguments). */
  const section = (title: string, lines: readonly string[]) => {
    out.push("", `## ${title}`, "");
    for (const l of lines) out.push(l);
  };
  out.push(
    `# Batch cost ${windowLabel(r)}`,
    "",
    `Window ${localStamp(r, r.window.from)} – ${localStamp(r, r.window.to)} (${r.window.timeZone}), generated ${localStamp(r, r.generatedAt)}.`,
  );
  if (r.window.countedTo !== r.window.to) out.push(`Counted up to ${localStamp(r, r.window.countedTo)} (the window has not ended yet).`);
  if (r.partial) out.push("", "**Partial report:** some data could not be read; see Data gaps. Numbers below are lower bounds.");
  const unread = unreadRegions(r);
  if (unread) out.push("", `**Regions not read:** ${md(unread)}; none of their cost is in this report.`);
  out.push(
    "",
    `- Cost: **${money(t.cost, c)}** for ${hours(t.coreHours)} core-hours (${hours(t.nodeHours)} node-hours)`,
    `- Busy: ${hours(t.busyCoreHours)} core-hours; idle: ${hours(t.idleCoreHours)} core-hours = ${money(t.idleCost, c)} (${t.idlePercent}%)`,
  );
  if (t.wasteCoreHours > 0) out.push(`- Waste on ABNORMAL or failed nodes: ${hours(t.wasteCoreHours)} core-hours = ${money(t.wasteCost, c)}`);
  if (t.unpricedCoreHours > 0)
    out.push(`- Unpriced: ${hours(t.unpricedCoreHours)} core-hours of ${r.assumptions.unpricedInstanceTypes.map(md).join(", ")} (no price in the table; not in the cost)`);
  out.push(`- Month ${r.month.month} to date: ${money(r.month.actualCost, c)}; projected for the month: ${money(r.month.projectedCost, c)}`);
  const several = severalRegions(r);
  if (several)
    section("By region", [
      ...mdHead(REGION_COLUMNS),
      ...r.regions.map((x) => (x.read ? mdRow(REGION_COLUMNS, x) : `| ${md(x.region)} | not read | – | – | – | – | – | – |`)),
    ]);
  section("By compute environment", mdTable(envColumns(several), r.envs));
  if (r.rows.length > 0) section("By day and instance type", mdTable(DAY_COLUMNS, r.rows));
  if (r.bySubmitter.length > 0) section("By submitter", mdTable(SUBMITTER_COLUMNS, r.bySubmitter));
  if (r.jobs.length > 0) section(`Top jobs (${Math.min(20, r.jobs.length)} of ${r.jobs.length})`, mdTable(JOB_COLUMNS, r.jobs.slice(0, 20)));
  if (r.budgets.length > 0) section(`Budgets (${r.month.month})`, mdTable(BUDGET_COLUMNS, r.budgets));
  if (r.alerts.length > 0) section("Alerts", r.alerts.map((a) => `- **${a.severity}** ${md(a.summary)}`));
  section("Assumptions", [
    `- Prices: ${md(r.assumptions.priceSource)}; currency ${r.currency}; tiers ${r.assumptions.tiersApplied ? "applied" : "not applied"}`,
    `- Time zone: ${r.assumptions.timeZone}`,
    ...Object.entries(r.assumptions.rules).map(([k, v]) => `- ${k}: ${md(v)}`),
  ]);
  if (r.assumptions.dataGaps.length > 0)
    section(
      "Data gaps",
      r.assumptions.dataGaps.map((g) => `- \`${g.code}\` (${g.scope === "window" ? "affects this window" : "month to date only"}): ${md(g.message)}`),
    );
  return `${out.join("\n")}\n`;
}
