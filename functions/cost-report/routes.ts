// GET /costs?from=&to=[&format=json|csv|md|html]: the same report on demand, scope envs:read.
// Served at this function's own Function URL (not the envs function): the report needs this
// function's 900 s timeout and memory at headline scale, and the cost code would push the envs
// bundle past its 150 KB budget. Same API_KEYS grammar and problem+json errors as jobs and envs.
import * as z from "../../shared/zod";
import { queryStr, type Route, route } from "../../shared/http";
import type { CostConfig } from "./config";
import { type CostSource, reportWithConfig } from "./report";
import { FORMATS } from "./formats";
import { windowFromQuery } from "./window";
import { DOCS } from "../../shared/docs";

// Not strict (unknown parameters are ignored, as always), and not loose either: an unknown
// parameter such as `?toString=1` is not copied into the object the handler reads.
const CostsQuerySchema = z.object({
  from: queryStr(64),
  to: queryStr(64),
  format: z.pipe(
    z.transform((v) => (Array.isArray(v) ? v[v.length - 1] : v)),
    z.optional(z.enum(["json", "csv", "md", "html"])),
  ),
});

export interface CostsRouteDeps extends CostSource {
  config: Pick<CostConfig, "prices" | "budgets" | "idleAlertHours" | "timeZone">;
  clock?: () => Date;
}

export function costsRoutes(deps: CostsRouteDeps): Route[] {
  const clock = deps.clock ?? (() => new Date());
  return [
    route({
      method: "GET",
      path: "/costs",
      scope: "envs:read",
      ...(DOCS && {
        summary: "Cost report for a window (from/to: YYYY-MM-DD in the report time zone, or ISO-8601 with a zone)",
      }),
      query: CostsQuerySchema,
      handler: async ({ query, log }) => {
        const now = clock();
        const window = windowFromQuery(query, deps.config.timeZone, now.getTime());
        const report = await reportWithConfig({ batch: deps.batch, regions: deps.regions, config: deps.config, logger: log }, window, now);
        const f = FORMATS[query.format ?? "json"];
        return { status: 200, headers: { "content-type": f.type }, body: f.render(report) };
      },
    }),
  ];
}
