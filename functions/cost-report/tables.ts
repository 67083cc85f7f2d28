// The report's tables as columns: a header, the kind of value and where it comes from. The tables
// the Markdown and the HTML both show (by region, by env, top jobs) are declared here once; each
// renderer prints a cell by its kind (render-text.ts, render-html.ts).
import type { EnvReport, JobReport, RegionReport } from "./model";

/**
 * How a cell is printed. `text` is escaped and left-aligned; the rest are right-aligned:
 * `number` as given, `hours` and `percent` each renderer's way, `money` with two decimals
 * (its HTML header names the currency).
 */
export type CellKind = "text" | "number" | "hours" | "percent" | "money";

export interface Column<T> {
  head: string;
  kind: CellKind;
  value: (row: T) => string | number;
}

const column =
  (kind: CellKind) =>
  <T>(head: string, value: (row: T) => string | number): Column<T> => ({ head, kind, value });
export const textColumn = column("text");
export const numberColumn = column("number");
export const hoursColumn = column("hours");
export const percentColumn = column("percent");
export const moneyColumn = column("money");

/** A region that was read (one that was not is a row of its own in each renderer). */
export const REGION_COLUMNS: readonly Column<RegionReport>[] = [
  textColumn("region", (x) => `${x.region}${x.partial ? " (partial)" : ""}`),
  numberColumn("envs", (x) => x.envs),
  hoursColumn("core-hours", (x) => x.summary.coreHours),
  percentColumn("idle %", (x) => x.summary.idlePercent),
  moneyColumn("cost", (x) => x.summary.cost),
  moneyColumn("idle cost", (x) => x.summary.idleCost),
  moneyColumn("month to date", (x) => x.month.actualCost),
  moneyColumn("projected", (x) => x.month.projectedCost),
];

/** With more than one region, each env's region after its name. */
export const envColumns = (several: boolean): Column<EnvReport>[] => [
  textColumn("env", (e) => e.envId),
  textColumn("name", (e) => e.envName),
  ...(several ? [textColumn("region", (e: EnvReport) => e.region)] : []),
  numberColumn("nodes", (e) => e.nodes.counted),
  hoursColumn("core-hours", (e) => e.summary.coreHours),
  hoursColumn("busy", (e) => e.summary.busyCoreHours),
  hoursColumn("idle", (e) => e.summary.idleCoreHours),
  percentColumn("idle %", (e) => e.summary.idlePercent),
  moneyColumn("cost", (e) => e.summary.cost),
  moneyColumn("idle cost", (e) => e.summary.idleCost),
];

export const JOB_COLUMNS: readonly Column<JobReport>[] = [
  textColumn("job", (j) => j.jobId),
  textColumn("name", (j) => j.jobName),
  textColumn("submitter", (j) => j.submitter),
  hoursColumn("core-hours", (j) => j.coreHours),
  moneyColumn("cost", (j) => j.cost),
];
