// Route templates (`/jobs/{JobId}/logs`) matched against the request path.
//
// Prefixes: API Gateway hands over the path the client called. When the API is published under
// a stage segment (`/release/jobs`) or a service base path (`/batch/jobs`), that prefix is
// stripped before matching: first the path is tried as is; then without a leading segment equal
// to the event's stage (or one of the gateway's stage names release/test/prepub); then without
// the configured `basePath`. The first candidate whose path matches some route wins.
import { AppError } from "../errors";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export const STAGE_NAMES = ["release", "test", "prepub"] as const;

interface Compiled<R> {
  route: R;
  method: string;
  segments: Array<{ literal: string } | { param: string }>;
}

export interface Matched<R> {
  route: R;
  params: Record<string, string>;
  /** The path the route matched (prefix stripped). */
  path: string;
}

export interface Router<R> {
  /** Throws 404 `not_found` or 405 `method_not_allowed` (with `allow` in details). */
  match(method: string, rawPath: string, stage?: string): Matched<R>;
}

const splitPath = (path: string): string[] => path.split("/").filter((s) => s.length > 0);

export function compileTemplate(template: string): Compiled<unknown>["segments"] {
  return splitPath(template).map((seg) => {
    const m = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(seg);
    return m ? { param: m[1]! } : { literal: seg };
  });
}

export function createRouter<R extends { method: string; path: string }>(
  routes: readonly R[],
  opts: { basePath?: string } = {},
): Router<R> {
  const compiled: Compiled<R>[] = routes.map((route) => ({
    route,
    method: route.method.toUpperCase(),
    segments: compileTemplate(route.path),
  }));
  const base = splitPath(opts.basePath ?? "");

  const matchSegments = (c: Compiled<R>, segs: string[]): Record<string, string> | undefined => {
    if (c.segments.length !== segs.length) return undefined;
    const params: Record<string, string> = {};
    for (let i = 0; i < segs.length; i++) {
      const want = c.segments[i]!;
      const got = segs[i]!;
      if ("literal" in want) {
        if (want.literal !== got) return undefined;
      } else {
        let value: string;
        try {
          value = decodeURIComponent(got);
        } catch {
          return undefined;
        }
        params[want.param] = value;
      }
    }
    return params;
  };

  const candidates = (rawPath: string, stage: string | undefined): string[][] => {
    const segs = splitPath(rawPath.split("?")[0] ?? "");
    const out = [segs];
    const first = segs[0];
    if (first !== undefined && (first === stage || (STAGE_NAMES as readonly string[]).includes(first))) out.push(segs.slice(1));
    if (base.length > 0) {
      for (const s of [...out]) {
        if (base.every((b, i) => s[i] === b)) out.push(s.slice(base.length));
      }
    }
    return out;
  };

  return {
    match(method, rawPath, stage) {
      const m = method.toUpperCase();
      for (const segs of candidates(rawPath, stage)) {
        const allow: string[] = [];
        for (const c of compiled) {
          const params = matchSegments(c, segs);
          if (!params) continue;
          if (c.method === m) return { route: c.route, params, path: `/${segs.join("/")}` };
          if (!allow.includes(c.method)) allow.push(c.method);
        }
        if (allow.length > 0)
          throw new AppError("method_not_allowed", `${m} is not allowed on this path; allowed: ${allow.join(", ")}`, {
            status: 405,
            details: { allow },
          });
      }
      throw new AppError("not_found", `no route for ${m} ${rawPath}`, { status: 404 });
    },
  };
}
