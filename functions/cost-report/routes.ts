// GET /costs?from=&to=[&format=json|csv|md|html]: the same report on demand, scope envs:read.
// Served by this function's API Gateway trigger (not the envs function): the report needs this
// function's 900 s timeout and memory at headline scale, and the cost code would push the envs
// bundle past its 150 KB budget. Same gateway, same API keys, same problem+json errors.
import { z } from "zod";
import type { BatchPort } from "../../shared/batch/port";
import { type KeyRing, type MainHandler, makeHttpHandler, queryStr, type Route, route } from "../../shared/http";
import type { Logger } from "../../shared/log";
import type { CostConfig } from "./config";
import { reportWithConfig } from "./report";
import { renderHtml } from "./render-html";
import { renderCsv, renderJson, renderMarkdown } from "./render-text";
import { windowFromQuery } from "./window";

const FORMATS = {
  json: { type: "application/json", render: renderJson },
  csv: { type: "text/csv; charset=utf-8", render: renderCsv },
  md: { type: "text/markdown; charset=utf-8", render: renderMarkdown },
  html: { type: "text/html; charset=utf-8", render: renderHtml },
} as const;

const CostsQuerySchema = z
  .object({
    from: queryStr(64),
    to: queryStr(64),
    format: z.preprocess((v) => (Array.isArray(v) ? v[v.length - 1] : v), z.enum(["json", "csv", "md", "html"]).optional()),
  })
  .passthrough();

export interface CostsHttpDeps {
  batch: BatchPort;
  config: Pick<CostConfig, "prices" | "budgets" | "idleAlertHours" | "timeZone">;
  keys: KeyRing;
  logger: Logger;
  clock?: () => Date;
}

export function makeCostsHttpHandler(deps: CostsHttpDeps): MainHandler {
  const clock = deps.clock ?? (() => new Date());
  const routes: Route[] = [
    route({
      method: "GET",
      path: "/costs",
      scope: "envs:read",
      summary: "Cost report for a window (from/to: YYYY-MM-DD in the report time zone, or ISO-8601 with a zone)",
      query: CostsQuerySchema,
      handler: async ({ query, log }) => {
        const window = windowFromQuery(query, deps.config.timeZone);
        const report = await reportWithConfig({ batch: deps.batch, config: deps.config, logger: log }, window, clock());
        const f = FORMATS[query.format ?? "json"];
        return { status: 200, headers: { "content-type": f.type }, body: f.render(report) };
      },
    }),
  ];
  return makeHttpHandler({ routes, keys: deps.keys, logger: deps.logger });
}
