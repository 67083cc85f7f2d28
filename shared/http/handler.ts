// makeHttpHandler: SCF event → request → auth → route → zod-checked body/query → handler →
// answer, with problem+json errors and one access-log line per request.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as z from "../zod";
import { AppError, type FieldIssue, issuesFromZod, validationError } from "../errors";
import { type RuleSink, validate } from "../validate";
import type { Logger } from "../log";
import { identify, type KeyRing, type Principal, requireScope } from "./auth";
import { buildOpenApi, type OpenApiInfo, type OpenApiRoute } from "./openapi";
import { toProblem } from "./problem";
import { fallbackRequestId, type HttpRequest, MAX_BODY_BYTES, type Query, type ScfHttpResponse, toHttpRequest, toScfResponse } from "./request";
import { createRouter, type HttpMethod } from "./router";

export interface HttpResult<T = unknown> {
  status: number;
  /** JSON-serialised unless it is a string and `content-type` is set. Omit for no body. */
  body?: T;
  headers?: Record<string, string>;
}

export interface RouteContext<B = unknown, Q = Query, P = Record<string, string>> {
  req: HttpRequest;
  /** The path parameters checked by the route's `params` schema (the raw strings without one). */
  params: P;
  /** The JSON body checked by the route's `body` schema and `rules`. */
  body: B;
  /** What the route's `rules` warned about (returned with the answer, never a refusal). */
  warnings: FieldIssue[];
  /** The caller's idempotency key (header or body ClientToken), checked, when the route takes one. */
  idempotencyKey: string | undefined;
  /** The query checked by the route's `query` schema (the raw query without one). */
  query: Q;
  principal: Principal;
  /** Logger bound to the request id and principal. */
  log: Logger;
}

/** How a route's Idempotency-Key is read and checked (shared/idempotency.ts's IDEMPOTENCY_KEY). */
export interface KeyRule {
  keyOf(header: string | undefined, bodyToken: string | undefined): { key: string | undefined; issues: FieldIssue[] };
  asks(header: string | undefined, body: unknown): boolean;
  /** The header's documentation (OpenAPI). */
  doc: string;
}

export interface BodyRuleContext extends RuleSink {
  /** The request carries an idempotency key (header or body ClientToken), valid or not. */
  idempotent: boolean;
}

type Out<S, Default> = S extends z.core.$ZodType ? z.output<S> : Default;

type Schema = z.core.$ZodType | undefined;

export interface RouteDef<B extends Schema, Q extends Schema, P extends Schema, R extends Schema> extends OpenApiRoute {
  method: HttpMethod;
  /** Template with `{Param}` segments: `/jobs/{JobId}`. */
  path: string;
  /** Required scope (e.g. `jobs:read`); undefined = any valid key. */
  scope?: string | undefined;
  /** The path parameters, an object schema keyed by the template's `{Param}` names. */
  params?: P | undefined;
  body?: B | undefined;
  /**
   * The rules that span the body's fields or need more than the body (the function's region, an
   * idempotency key): run on whatever the shape pass could read and reported with its issues in
   * one 400 (shared/validate.ts).
   */
  rules?: ((body: Out<B, unknown>, ctx: BodyRuleContext) => void) | undefined;
  /** The route takes `Idempotency-Key` (or a body `ClientToken`): `IDEMPOTENCY_KEY` of shared/idempotency.ts checks it; its problems are reported with the body's. */
  idempotency?: KeyRule | undefined;
  query?: Q | undefined;
  /** The success answer's body: handlers must return this type, and the handler tests parse answers with it. */
  response?: R | undefined;
  handler: (
    ctx: RouteContext<Out<B, unknown>, Out<Q, Query>, Out<P, Record<string, string>>>,
  ) => Promise<HttpResult<Out<R, unknown>>> | HttpResult<Out<R, unknown>>;
}

export type Route = RouteDef<z.core.$ZodType, z.core.$ZodType, z.core.$ZodType, z.core.$ZodType>;

/** Declares a route with its handler typed from the params/body/query/response schemas. */
export function route<B extends Schema = undefined, Q extends Schema = undefined, P extends Schema = undefined, R extends Schema = undefined>(
  def: RouteDef<B, Q, P, R>,
): Route {
  return def as unknown as Route;
}

export interface HttpHandlerOptions {
  routes: readonly Route[];
  keys: KeyRing;
  logger: Logger;
  /** A service path API Gateway prefixes to every route (e.g. `/batch`); stages are stripped anyway. */
  basePath?: string | undefined;
  maxBodyBytes?: number;
  now?: () => number;
}

export type MainHandler = (event: unknown, context?: unknown) => Promise<ScfHttpResponse>;

export function makeHttpHandler(opts: HttpHandlerOptions): MainHandler {
  const router = createRouter(opts.routes, { basePath: opts.basePath });
  // Not performance.now(): its first use loads perf_hooks, ~1 ms of every cold start.
  const now = opts.now ?? (() => Number(process.hrtime.bigint()) / 1e6);
  if (opts.keys.error) opts.logger.error("API keys unusable: refusing every request", { reason: opts.keys.error });

  return async (event, context) => {
    const started = now();
    let req: HttpRequest | undefined;
    let principal: Principal | undefined;
    let requestId = "";
    let result: HttpResult;
    let errorCode: string | undefined;
    try {
      req = toHttpRequest(event, context, opts.maxBodyBytes ?? MAX_BODY_BYTES);
      requestId = req.requestId;
      principal = identify(opts.keys, req.headers.authorization);
      const m = router.match(req.method, req.rawPath, req.stage);
      requireScope(principal, m.route.scope);
      const log = opts.logger.child({ request_id: requestId, principal: principal.name });
      const r = m.route;
      // In the order callers have always been answered: JSON, body (with the idempotency key), query, path parameters.
      const { body, warnings, idempotencyKey } = checkBody(r, r.body ? parseJsonBody(req.body) : undefined, req.headers);
      const query = r.query ? check(r.query, req.query, "query") : req.query;
      const params = r.params ? check(r.params, m.params, "") : m.params;
      result = await r.handler({ req, params, body, warnings, idempotencyKey, query, principal, log });
    } catch (err) {
      if (!requestId) requestId = fallbackRequestId(event, context);
      const p = toProblem(err, requestId);
      errorCode = p.problem.code;
      if (p.unexpected) opts.logger.error("request failed", { request_id: requestId, err, code: errorCode });
      else if (p.status >= 500) opts.logger.warn("request refused", { request_id: requestId, err, code: errorCode });
      result = { status: p.status, headers: { ...p.headers, "content-type": "application/problem+json" }, body: p.problem };
    }
    const response = toScfResponse(result, requestId);
    opts.logger.info("request", {
      request_id: requestId,
      method: req?.method ?? methodOf(event),
      path: req?.rawPath ?? pathOf(event),
      status: response.statusCode,
      ms: Math.round((now() - started) * 10) / 10,
      principal: principal?.name ?? null,
      source_ip: req?.sourceIp ?? null,
      ...(errorCode ? { code: errorCode } : {}),
    });
    return response;
  };
}

/** An action's answer; a replay (the same Idempotency-Key again, shared/idempotency.ts actionReplays) says so in `Idempotent-Replayed`. */
export const actionAnswer = <T>(status: number, r: { value: T; replayed: boolean }): HttpResult<T> => ({
  status,
  body: r.value,
  ...(r.replayed ? { headers: { "idempotent-replayed": "true" } } : {}),
});

/** Deeper bodies are refused before parsing: recursive validation of them would exhaust the stack. */
export const MAX_JSON_DEPTH = 64;

/** Nesting depth of JSON text (brackets outside strings), in one pass without recursion. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) max = Math.max(max, ++depth);
    else if (c === 125 || c === 93) depth--;
  }
  return max;
}

/**
 * Parses the JSON body: 400 malformed_json, then 400 validation_failed with field paths. Members
 * that are `null` are dropped (SDK request objects serialise unset fields as null); the keys
 * `__proto__`, `constructor` and `prototype` are refused wherever they appear (as Fastify's
 * secure JSON parsing does), so no member can reach an object's prototype.
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === "") throw validationError([{ path: "", message: "a JSON body is required" }]);
  if (jsonDepth(text) > MAX_JSON_DEPTH) throw new AppError("malformed_json", `the body nests deeper than ${MAX_JSON_DEPTH} levels`, { status: 400 });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const at = /position (\d+)/.exec((e as Error).message)?.[1];
    throw new AppError("malformed_json", `the body is not valid JSON${at ? ` (at position ${at})` : ""}`, { status: 400 });
  }
  const out = normalise(json);
  if (out === REFUSED) {
    const refused: FieldIssue[] = [];
    findRefused(json, "", refused);
    throw validationError(refused);
  }
  return out;
}

const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);
const REFUSED = Symbol("refused");

/**
 * Drops null members; REFUSED when a prototype key appears anywhere (findRefused then names them:
 * the paths are built only for a body that is refused). Depth is bounded by MAX_JSON_DEPTH.
 */
function normalise(v: unknown): unknown {
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const x of v) {
      const y = normalise(x);
      if (y === REFUSED) return REFUSED;
      out.push(y);
    }
    return out;
  }
  if (v === null || typeof v !== "object") return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    if (FORBIDDEN_KEYS.has(k)) return REFUSED;
    const x = (v as Record<string, unknown>)[k];
    if (x === null) continue;
    const y = normalise(x);
    if (y === REFUSED) return REFUSED;
    out[k] = y;
  }
  return out;
}

/** Every prototype key in `v`, with its path, in document order. */
function findRefused(v: unknown, path: string, refused: FieldIssue[]): void {
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      findRefused(x, `${path}[${i}]`, refused);
    });
  } else if (v !== null && typeof v === "object") {
    for (const k of Object.keys(v)) {
      const at = path ? `${path}.${k}` : k;
      if (FORBIDDEN_KEYS.has(k)) refused.push({ path: at, message: `${k} is not accepted as a member name` });
      else findRefused((v as Record<string, unknown>)[k], at, refused);
    }
  }
}

export interface CheckedBody {
  body: unknown;
  warnings: FieldIssue[];
  idempotencyKey: string | undefined;
}

/**
 * A route's body step on parsed JSON: the idempotency key (when the route takes one), the body's
 * shape and its rules, every problem in one 400 validation_failed (body issues first, then the key's).
 */
export function checkBody(r: Pick<Route, "body" | "rules" | "idempotency">, json: unknown, headers: Readonly<Record<string, string>>): CheckedBody {
  const header = headers["idempotency-key"];
  const token = (json as { ClientToken?: unknown } | null | undefined)?.ClientToken;
  const key = r.idempotency ? r.idempotency.keyOf(header, typeof token === "string" ? token : undefined) : { key: undefined, issues: [] };
  if (!r.body) {
    if (key.issues.length > 0) throw validationError(key.issues);
    return { body: undefined, warnings: [], idempotencyKey: key.key };
  }
  const idempotent = !!r.idempotency?.asks(header, json);
  const checked = validate(r.body as z.ZodMiniType, json, r.rules as ((b: unknown, ctx: BodyRuleContext) => void) | undefined, key.issues, { idempotent });
  return { body: checked.data, warnings: checked.warnings, idempotencyKey: key.key };
}

function check(schema: z.core.$ZodType, value: unknown, prefix: string): unknown {
  const r = z.safeParse(schema, value);
  if (!r.success) throw validationError(issuesFromZod(r.error.issues, prefix));
  return r.data;
}

const field = (event: unknown, k: string): string =>
  typeof event === "object" && event !== null && typeof (event as Record<string, unknown>)[k] === "string"
    ? ((event as Record<string, unknown>)[k] as string)
    : "?";
const methodOf = (event: unknown) => field(event, "httpMethod").toUpperCase();
const pathOf = (event: unknown) => field(event, "path");

/**
 * `GET /openapi.json` for a route table. Under tsx and vitest the document is built from the
 * routes' schemas on first request; a bundle (scripts/bundle.ts, which defines
 * `process.env.BATCH_SCF_BUNDLE`) serves the same document, built from the same routes by the
 * build and written beside it as `documentFile(path)`, so the schema-to-JSON-Schema converter
 * stays out of the functions' cold start. `document` is what the build writes.
 */
export function openApiRoute(info: OpenApiInfo, routes: () => readonly OpenApiRoute[], scope?: string, path = "/openapi.json"): Route & { document?: () => unknown } {
  let doc: string | undefined;
  const r = route({
    method: "GET",
    path,
    scope,
    summary: "this OpenAPI 3.1 document",
    handler: () => {
      doc ??=
        process.env.BATCH_SCF_BUNDLE === "1"
          ? readFileSync(join(__dirname, documentFile(path)), "utf8")
          : JSON.stringify(buildOpenApi(info, routes()));
      return { status: 200, headers: { "content-type": "application/json" }, body: doc };
    },
  });
  return process.env.BATCH_SCF_BUNDLE === "1" ? r : { ...r, document: () => buildOpenApi(info, routes()) };
}

/** The file beside a bundle that holds the document served at `path` (`/openapi/envs.json` → `openapi-envs.json`). */
export const documentFile = (path: string) => path.replace(/^\//, "").replace(/\//g, "-");
