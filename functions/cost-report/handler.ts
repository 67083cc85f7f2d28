// The timer handler: window → report → files at the destination → one log line → alerts.
// Dependencies come in; nothing here reads the environment.
import type { Alerter } from "../../shared/alerts";
import type { Logger } from "../../shared/log";
import type { ReportStore } from "../../shared/report-store";
import type { CostConfig } from "./config";
import type { CostReport } from "./model";
import { type CostSource, reportWithConfig } from "./report";
import { FORMATS } from "./formats";
import { renderJobsCsv, severalRegions, summaryLine } from "./render-text";
import { windowForEvent } from "./trigger";
import { localDate, type ReportWindow, startOfLocalDay } from "./window";

export interface CostHandlerDeps extends CostSource {
  config: Pick<CostConfig, "prices" | "budgets" | "idleAlertHours" | "timeZone">;
  store: ReportStore;
  alerter: Alerter;
  logger: Logger;
  clock?: () => Date;
}

export interface CostRunResult {
  ok: true;
  window: { from: string; to: string; timeZone: string };
  partial: boolean;
  summary: string;
  files: string[];
  alerts: number;
  warning?: string;
}

const compact = (iso: string) => iso.replace(/[-:]/g, "");

/** `2019-02-20/` for one local day, `2019-02-01_2019-02-28/` for whole days, else UTC instants. */
export function folderFor(w: ReportWindow, r: CostReport): string {
  const days = r.window.days;
  const aligned = startOfLocalDay(w.from, w.timeZone) === w.from && startOfLocalDay(w.to, w.timeZone) === w.to;
  if (aligned && days.length === 1) return `${days[0]}/`;
  if (aligned) return `${days[0]}_${localDate(w.to - 1, w.timeZone)}/`;
  return `${compact(r.window.from)}_${compact(r.window.to)}/`;
}

export const REPORT_FILES = [
  { name: "cost-report.csv", ...FORMATS.csv },
  { name: "cost-report-jobs.csv", type: FORMATS.csv.type, render: renderJobsCsv },
  { name: "cost-report.md", ...FORMATS.md },
  { name: "cost-report.html", ...FORMATS.html },
  // Last: a reader that finds the JSON finds the whole set.
  { name: "cost-report.json", ...FORMATS.json },
] as const;

export function makeHandler(deps: CostHandlerDeps) {
  const clock = deps.clock ?? (() => new Date());
  return async (event: unknown, context?: unknown): Promise<CostRunResult> => {
    const requestId = (context as { request_id?: unknown } | undefined)?.request_id;
    const log = deps.logger.child(typeof requestId === "string" ? { request_id: requestId } : {});
    const now = clock().getTime();
    const { window, source, warning } = windowForEvent(event, now, deps.config.timeZone);
    if (warning) log.warn("cost report window", { warning, source });

    const report = await reportWithConfig({ batch: deps.batch, regions: deps.regions, config: deps.config, logger: log }, window, now);

    const folder = folderFor(window, report);
    const files: string[] = [];
    for (const f of REPORT_FILES) {
      const { location } = await deps.store.put(`${folder}${f.name}`, f.render(report), f.type);
      files.push(location);
    }
    const summary = summaryLine(report);
    log.info(summary, {
      window_from: report.window.from,
      window_to: report.window.to,
      cost: report.totals.cost,
      core_hours: report.totals.coreHours,
      idle_cost: report.totals.idleCost,
      partial: report.partial,
      data_gaps: report.assumptions.dataGaps.length,
      ...(severalRegions(report) ? { regions: report.regions.map((r) => r.region), regions_unread: report.regions.filter((r) => !r.read).map((r) => r.region) } : {}),
      location: files[files.length - 1],
    });

    // Alerts speak about now: a backfill of an old window does not raise them again.
    const scheduled = source === "timer" || source === "default";
    if (scheduled) for (const a of report.alerts) await deps.alerter.send(a);

    return {
      ok: true,
      window: { from: report.window.from, to: report.window.to, timeZone: report.window.timeZone },
      partial: report.partial,
      summary,
      files,
      alerts: scheduled ? report.alerts.length : 0,
      ...(warning ? { warning } : {}),
    };
  };
}
