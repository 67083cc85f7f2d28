// SCF HTTP event → neutral request, and neutral result → the answer both triggers accept.
import { randomUUID } from "node:crypto";
import { AppError } from "../errors";
import { type HttpTriggerEvent, parseHttpEvent, type QueryValue } from "../triggers/http";

export const MAX_BODY_BYTES = 1024 * 1024;

export type Query = Record<string, QueryValue>;

export interface HttpRequest {
  /** Upper case. */
  method: string;
  /** The path as the platform gave it (API Gateway: without host, maybe with a stage prefix). */
  rawPath: string;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  /** An object without a prototype: every member is a parameter the caller sent. */
  query: Query;
  /** The body as text (base64 bodies decoded). */
  body: string;
  requestId: string;
  sourceIp: string | undefined;
  /** API Gateway stage (`release`, `test`, `prepub`), when the event names one. */
  stage: string | undefined;
  trigger: HttpTriggerEvent["kind"];
}

/** What the SCF runtime answers, valid for API Gateway (integrated response) and Function URL. */
export interface ScfHttpResponse {
  isBase64Encoded: false;
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** The SCF context fields we read (the Node runtime passes `request_id`). */
export interface ScfContext {
  request_id?: string;
  requestId?: string;
  [k: string]: unknown;
}

function contextRequestId(context: unknown): string | undefined {
  if (typeof context !== "object" || context === null) return undefined;
  const c = context as ScfContext;
  const id = c.request_id ?? c.requestId;
  return typeof id === "string" && id ? id : undefined;
}

/** A request id seen before the event parsed (for errors about the event itself). */
export function fallbackRequestId(event: unknown, context: unknown): string {
  const rc = (event as { requestContext?: { requestId?: unknown } } | null)?.requestContext;
  if (rc && typeof rc.requestId === "string" && rc.requestId) return rc.requestId;
  return contextRequestId(context) ?? randomUUID();
}

/**
 * Parses either trigger's event. Throws AppError: 400 `bad_event` when it is no HTTP event,
 * 400 `malformed_body` for invalid base64, 413 `payload_too_large` over MAX_BODY_BYTES.
 */
export function toHttpRequest(event: unknown, context?: unknown, maxBodyBytes = MAX_BODY_BYTES): HttpRequest {
  const e = parseHttpEvent(event);
  if (!e) throw new AppError("bad_event", "the function received an event that is not an HTTP request", { status: 400 });

  const headers: Record<string, string> = {};
  const given = e.headers ?? {};
  for (const k of Object.keys(given)) {
    const v = given[k];
    if (v !== null && v !== undefined) headers[k.toLowerCase()] = v;
  }

  // No prototype: `?__proto__=x`, `?toString=1` are members like any other, never inherited ones.
  const query: Query = Object.create(null);
  const rawQuery = (e.queryString ?? (e.kind === "apigw" ? e.queryStringParameters : undefined) ?? {}) as Record<string, unknown>;
  for (const k of Object.keys(rawQuery)) {
    const v = rawQuery[k]; // checked by the trigger's schema: a string, number, boolean, null or an array of them
    if (v === undefined || v === null || v === false) continue;
    query[k] = v === true ? true : Array.isArray(v) ? v.map(String) : String(v);
  }

  // Check the size before decoding: base64 is 4/3 of the bytes it carries.
  const declared = e.isBase64Encoded ? Math.floor((e.body.length * 3) / 4) : Buffer.byteLength(e.body, "utf8");
  if (declared > maxBodyBytes + 2) throw tooLarge(maxBodyBytes);
  let body = e.body;
  if (e.isBase64Encoded) {
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(body.replace(/\s+/g, "")))
      throw new AppError("malformed_body", "the body is flagged base64 but is not valid base64", { status: 400 });
    const buf = Buffer.from(body, "base64");
    if (buf.length > maxBodyBytes) throw tooLarge(maxBodyBytes);
    body = buf.toString("utf8");
  } else if (declared > maxBodyBytes) throw tooLarge(maxBodyBytes);

  const rc = e.kind === "apigw" ? e.requestContext : undefined;
  return {
    method: e.httpMethod.toUpperCase(),
    rawPath: e.path || "/",
    headers,
    query,
    body,
    requestId: rc?.requestId || contextRequestId(context) || headers["x-request-id"] || randomUUID(),
    // x-scf-remote-addr is set by the Function URL front end; behind API Gateway any client can
    // send that header, so only requestContext.sourceIp counts there.
    sourceIp: e.kind === "apigw" ? rc?.sourceIp || undefined : headers["x-scf-remote-addr"] || undefined,
    stage: rc?.stage || undefined,
    trigger: e.kind,
  };
}

/** The answer for a result: JSON unless the body is a string with its own content-type. */
export function toScfResponse(r: { status: number; body?: unknown; headers?: Record<string, string> }, requestId: string): ScfHttpResponse {
  // Every answer: never cached, never content-sniffed, and its request id.
  const headers: Record<string, string> = { "cache-control": "no-store", "x-content-type-options": "nosniff", "x-request-id": requestId };
  if (r.headers) for (const k of Object.keys(r.headers)) headers[k.toLowerCase()] = r.headers[k]!;
  let body = "";
  if (r.body !== undefined) {
    if (typeof r.body === "string" && headers["content-type"]) body = r.body;
    else {
      body = JSON.stringify(r.body);
      headers["content-type"] ??= "application/json";
    }
  }
  return { isBase64Encoded: false, statusCode: r.status, headers, body };
}

function tooLarge(max: number): AppError {
  return new AppError("payload_too_large", `the body exceeds ${max} bytes`, { status: 413 });
}

/** Reads a query value as one string: arrays give their last value, a bare `?flag` gives "". */
export function queryString(q: Query, name: string): string | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  if (v === true) return "";
  if (Array.isArray(v)) return v[v.length - 1];
  return v;
}

/** A created resource's URL as the caller addressed the collection (keeps any stage or base path). */
export function locationOf(req: Pick<HttpRequest, "rawPath">, id: string): string {
  return `${req.rawPath.replace(/\/+$/, "")}/${encodeURIComponent(id)}`;
}
