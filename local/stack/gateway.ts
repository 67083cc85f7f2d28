// Local Function URLs: each function with a URL (`url: true`, or a `cmq` event) gets an HTTP
// listener of its own, standing for its Function URL (in the cloud each is a host of its own and
// every path reaches the function unchanged; the function routes by path itself). A request
// becomes the Function URL event (or, with `x-local-event-shape: apigw` or LOCAL_HTTP_EVENT=apigw,
// the API Gateway event) and the function's integrated response becomes the HTTP answer. Paths
// under /_local/ are the stack's own API, served on every listener.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { readBody } from "../http/read-body";
import { apigwEvent, apigwRouteOf, functionUrlEvent, type HttpEventShape, type HttpRequestInfo, httpResponseFrom } from "./events";
import type { InvocationSource, Invoker } from "./invoker";
import type { FunctionConfig } from "./serverless-config";

/** SCF's sync invoke payload cap is 6 MB. */
export const MAX_REQUEST_BYTES = 6 * 1024 * 1024;

/**
 * Set by the local topic bus on its pushes: the trigger name and the attempt, so the invocation is
 * recorded as a `cmq` delivery. Removed from the event the function gets.
 */
export const LOCAL_TRIGGER_HEADER = "x-local-trigger";
export const LOCAL_ATTEMPT_HEADER = "x-local-attempt";

export interface FunctionUrlOptions {
  fn: FunctionConfig;
  invoker: Invoker;
  defaultShape: HttpEventShape;
  /** Handles `/_local/…`; the body is already read. */
  local(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): Promise<void>;
  log(line: string): void;
}

export function createFunctionUrlServer(opts: FunctionUrlOptions): Server {
  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      opts.log(`${opts.fn.name} URL: ${(e as Error).stack ?? e}`);
      if (!res.headersSent) sendJson(res, 500, { message: "local function URL error" });
      else res.end();
    });
  });
  server.keepAliveTimeout = 5000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://local");
    let body: Buffer;
    try {
      body = await readBody(req, MAX_REQUEST_BYTES);
    } catch {
      return sendJson(res, 413, { message: `request body over ${MAX_REQUEST_BYTES} bytes` });
    }
    if (url.pathname === "/_local" || url.pathname.startsWith("/_local/")) return opts.local(req, res, url, body);
    const method = (req.method ?? "GET").toUpperCase();
    const requestId = randomUUID();
    const headers = lowerHeaders(req);
    const busTrigger = headers[LOCAL_TRIGGER_HEADER];
    const attempt = Number(headers[LOCAL_ATTEMPT_HEADER] ?? 1);
    delete headers[LOCAL_TRIGGER_HEADER];
    delete headers[LOCAL_ATTEMPT_HEADER];
    const info: HttpRequestInfo = {
      method,
      path: url.pathname,
      rawQuery: url.search.slice(1),
      headers,
      body,
      sourceIp: (req.socket.remoteAddress ?? "127.0.0.1").replace(/^::ffff:/, ""),
      requestId,
    };
    const shapeHeader = headers["x-local-event-shape"];
    const shape: HttpEventShape = shapeHeader === "function-url" || shapeHeader === "apigw" ? shapeHeader : opts.defaultShape;
    let event: Record<string, unknown>;
    if (shape === "apigw") {
      const { route, path } = apigwRouteOf(info.path);
      event = apigwEvent({ ...info, path }, route);
    } else event = functionUrlEvent(info);
    const source: InvocationSource = busTrigger ? "cmq" : shape;
    const out = await opts.invoker.sync(opts.fn.name, event, { source, trigger: busTrigger ?? "url", requestId }, Number.isInteger(attempt) && attempt > 0 ? attempt : 1);
    const base = { "x-api-requestid": requestId };
    if (!out.ok) {
      const status = out.kind === "timeout" ? 504 : 502;
      return sendJson(res, status, { errorCode: out.kind === "timeout" ? 504 : -1, errorMessage: out.error.errorMessage, requestId }, base);
    }
    const http = httpResponseFrom(out.value, requestId);
    if ("invalid" in http) return sendJson(res, 502, { errorCode: 403, errorMessage: http.invalid }, base);
    const answer: Record<string, string> = { ...http.headers, ...base, "content-length": String(http.body.length) };
    delete answer["transfer-encoding"];
    res.writeHead(http.statusCode, answer);
    res.end(method === "HEAD" ? undefined : http.body);
  }

  return server;
}

export function lowerHeaders(req: IncomingMessage): Record<string, string> {
  // No prototype, as Node's own req.headers: a header named __proto__ is a header like any other.
  const out: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
  return out;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, { ...headers, "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) });
  res.end(text);
}
