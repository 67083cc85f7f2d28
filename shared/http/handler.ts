// makeHttpHandler: SCF event → request → auth → route → zod-checked body/query → handler →
// answer, with problem+json errors and one access-log line per request.
import * as z from "../zod";
import { AppError, issuesFromZod, validationError } from "../errors";
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
  /** The JSON body checked by the route's `body` schema (as parsed, unchecked, for a `serviceBody`). */
  body: B;
  /** The query checked by the route's `query` schema (the raw query without one). */
  query: Q;
  principal: Principal;
  /** Logger bound to the request id and principal. */
  log: Logger;
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
   * Instead of `body`: the body's schema as its service checks it (shape and cross-field rules in
   * one pass, all broken rules reported together). The layer parses the JSON and hands it over
   * unchecked (`unknown`); the schema documents it.
   */
  serviceBody?: z.core.$ZodType | undefined;
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
      // In the order callers have always been answered: JSON, body, query, path parameters.
      const json = r.body || r.serviceBody ? parseJsonBody(req.body) : undefined;
      const body = r.body ? check(r.body, json, "") : json;
      const query = r.query ? check(r.query, req.query, "query") : req.query;
      const params = r.params ? check(r.params, m.params, "") : m.params;
      result = await r.handler({ req, params, body, query, principal, log });
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

/** Parses the JSON body: 400 malformed_json, then 400 validation_failed with field paths. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === "") throw validationError([{ path: "", message: "a JSON body is required" }]);
  if (jsonDepth(text) > MAX_JSON_DEPTH) throw new AppError("malformed_json", `the body nests deeper than ${MAX_JSON_DEPTH} levels`, { status: 400 });
  try {
    return JSON.parse(text);
  } catch (e) {
    const at = /position (\d+)/.exec((e as Error).message)?.[1];
    throw new AppError("malformed_json", `the body is not valid JSON${at ? ` (at position ${at})` : ""}`, { status: 400 });
  }
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

/** `GET /openapi.json` for a route table (the document is built once, on first request). */
export function openApiRoute(info: OpenApiInfo, routes: () => readonly OpenApiRoute[], scope?: string, path = "/openapi.json"): Route {
  let doc: unknown;
  return route({
    method: "GET",
    path,
    scope,
    summary: "this OpenAPI 3.1 document",
    handler: () => {
      doc ??= buildOpenApi(info, routes());
      return { status: 200, body: doc };
    },
  });
}
