// The report as JSON, CSV (flat columns) and a Markdown summary. Rendering only: every
// number comes from the report.
import type { CostReport } from "./model";
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

export function renderCsv(r: CostReport): string {
  const lines = [CSV_COLUMNS.join(",")];
  for (const row of r.rows) {
    const cells: Array<string | number | boolean> = [
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
    ];
    lines.push(cells.map(csvCell).join(","));
  }
  return `${lines.join("\r\n")}\r\n`;
}

export const JOB_CSV_COLUMNS = ["job_id", "job_name", "submitter", "tags", "env_ids", "instances", "core_hours", "cost", "unpriced_core_hours", "outside_env_instances", "currency"] as const;

export function renderJobsCsv(r: CostReport): string {
  const lines = [JOB_CSV_COLUMNS.join(",")];
  for (const j of r.jobs) {
    const cells: Array<string | number> = [
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
    ];
    lines.push(cells.map(csvCell).join(","));
  }
  return `${lines.join("\r\n")}\r\n`;
}

const money = (v: number, cur: string) => `${v.toFixed(2)} ${cur}`;
const hours = (v: number) => (Math.round(v * 100) / 100).toString();
/** Markdown table cells: pipes and newlines would break the table. */
const md = (s: string) => s.replace(/[|\\`*_[\]<>]/g, (c) => `\\${c}`).replace(/[\r\n]+/g, " ");

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
      "| region | envs | core-hours | idle % | cost | idle cost | month to date | projected |",
      "|---|---:|---:|---:|---:|---:|---:|---:|",
      ...r.regions.map(({ region, read, partial, envs, summary: s, month: m }) =>
        read
          ? `| ${md(region)}${partial ? " (partial)" : ""} | ${envs} | ${hours(s.coreHours)} | ${s.idlePercent} | ${s.cost.toFixed(2)} | ${s.idleCost.toFixed(2)} | ${m.actualCost.toFixed(2)} | ${m.projectedCost.toFixed(2)} |`
          : `| ${md(region)} | not read | – | – | – | – | – | – |`,
      ),
    ]);
  section("By compute environment", [
    `| env | name |${several ? " region |" : ""} nodes | core-hours | busy | idle | idle % | cost | idle cost |`,
    `|---|---|${several ? "---|" : ""}---:|---:|---:|---:|---:|---:|---:|`,
    ...r.envs.map(
      ({ envId, envName, region, nodes, summary: s }) =>
        `| ${md(envId)} | ${md(envName)} |${several ? ` ${md(region)} |` : ""} ${nodes.counted} | ${hours(s.coreHours)} | ${hours(s.busyCoreHours)} | ${hours(s.idleCoreHours)} | ${s.idlePercent} | ${s.cost.toFixed(2)} | ${s.idleCost.toFixed(2)} |`,
    ),
  ]);
  if (r.rows.length > 0)
    section("By day and instance type", [
      "| day | env | type | node-hours | core-hours | cost |",
      "|---|---|---|---:|---:|---:|",
      ...r.rows.map(
        (row) =>
          `| ${row.date} | ${md(row.envId)} | ${md(row.instanceType)} | ${hours(row.nodeHours)} | ${hours(row.coreHours)} | ${row.priced ? row.cost.toFixed(2) : "unpriced"} |`,
      ),
    ]);
  if (r.bySubmitter.length > 0)
    section("By submitter", [
      "| submitter | jobs | core-hours | cost |",
      "|---|---:|---:|---:|",
      ...r.bySubmitter.map((g) => `| ${md(g.value)} | ${g.jobs} | ${hours(g.coreHours)} | ${g.cost.toFixed(2)} |`),
    ]);
  if (r.jobs.length > 0)
    section(`Top jobs (${Math.min(20, r.jobs.length)} of ${r.jobs.length})`, [
      "| job | name | submitter | core-hours | cost |",
      "|---|---|---|---:|---:|",
      ...r.jobs.slice(0, 20).map((j) => `| ${md(j.jobId)} | ${md(j.jobName)} | ${md(j.submitter)} | ${hours(j.coreHours)} | ${j.cost.toFixed(2)} |`),
    ]);
  if (r.budgets.length > 0)
    section(`Budgets (${r.month.month})`, [
      "| scope | name | monthly | actual | projected | crossed |",
      "|---|---|---:|---:|---:|---|",
      ...r.budgets.map(
        (b) =>
          `| ${b.scope} | ${md(b.name)} | ${b.monthly.toFixed(2)} | ${b.actual.toFixed(2)} (${b.actualPercent}%) | ${b.projected.toFixed(2)} (${b.projectedPercent}%) | ${b.crossed.map((x) => `${x.on} ≥ ${x.percent}%`).join(", ") || "–"} |`,
      ),
    ]);
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
