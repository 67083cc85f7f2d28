// Handler tests parse every success answer with its route's response schema, the one the
// OpenAPI document is built from: an answer that drifts from the document fails the test that
// received it, naming the field.
import { createRouter, type Route, type ScfHttpResponse } from "../../shared/http";
import * as z from "../../shared/zod";

export function answerChecker(routes: readonly Route[]) {
  const router = createRouter(routes);
  let checked = 0;
  return {
    /** Throws when a 2xx JSON answer does not parse with the response schema of the route it came from. */
    check(event: unknown, res: ScfHttpResponse): void {
      if (res.statusCode < 200 || res.statusCode >= 300 || !res.headers["content-type"]?.startsWith("application/json")) return;
      const e = event as { httpMethod: string; path: string; requestContext?: { stage?: string } };
      const { route } = router.match(e.httpMethod, e.path, e.requestContext?.stage);
      if (!route.response) return;
      const r = z.safeParse(route.response, JSON.parse(res.body));
      if (!r.success) {
        // A union (POST /jobs: submitted or dry run) names each branch's fields.
        const issues = r.error.issues
          .flatMap((i) => (i.code === "invalid_union" ? i.errors.flat() : [i]))
          .map((i) => `${i.path.join(".")}: ${i.message}`)
          .join("; ");
        throw new Error(`${e.httpMethod} ${route.path} answered ${res.statusCode} outside its response schema: ${issues}`);
      }
      checked++;
    },
    /** How many answers were parsed so far. */
    get checked() {
      return checked;
    },
  };
}
