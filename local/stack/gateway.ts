// The local API Gateway: every `apigw` event in serverless.yml becomes a route; a request
// becomes the SCF API Gateway event (or, with `x-local-event-shape: function-url` or
// LOCAL_HTTP_EVENT=function-url, the Function URL event) and the function's integrated
// response becomes the HTTP answer. A leading stage segment (`/release/jobs`) is accepted
// like the gateway's default domain serves it. Paths under /_local/ are the stack's own API.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { apigwEvent, functionUrlEvent, type HttpEventShape, type HttpRequestInfo, httpResponseFrom, matchTemplate } from "./events";
import type { Invoker } from "./invoker";
import type { ApigwTrigger, FunctionConfig } from "./serverless-config";
import { readBody } from "../http/read-body";

/** API Gateway's request size limit for SCF integrations is larger; SCF's sync invoke payload cap is 6 MB. */
export const MAX_REQUEST_BYTES = 6 * 1024 * 1024;

export interface Route {
  fn: FunctionConfig;
  trigger: ApigwTrigger;
}

export interface GatewayOptions {
  functions: readonly FunctionConfig[];
  invoker: Invoker;
  defaultShape: HttpEventShape;
  /** Handles `/_local/…`; the body is already read. */
  local(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): Promise<void>;
  log(line: string): void;
}

export function routesOf(functions: readonly FunctionConfig[]): Route[] {
  const routes: Route[] = [];
  for (const fn of functions) for (const t of fn.triggers) if (t.kind === "apigw") routes.push({ fn, trigger: t });
  // Literal segments win over parameters: /jobs/openapi before /jobs/{JobId}.
  const weight = (r: Route) =>
    r.trigger.path
      .split("/")
      .filter(Boolean)
      .map((s) => (s.startsWith("{") ? "1" : "0"))
      .join("");
  return routes.sort((a, b) => weight(a).localeCompare(weight(b)));
}

export function findRoute(routes: readonly Route[], method: string, path: string): { route: Route; params: Record<string, string>; path: string } | { allowed: string[] } | undefined {
  const candidates = [path];
  const stageless = /^\/(release|prepub|test)(\/.*)?$/.exec(path);
  if (stageless) candidates.push(stageless[2] ?? "/");
  const allowed = new Set<string>();
  for (const p of candidates) {
    for (const r of routes) {
      if (p !== path && stageless?.[1] !== r.trigger.stage) continue;
      const params = matchTemplate(r.trigger.path, p);
      if (!params) continue;
      if (r.trigger.method === "ANY" || r.trigger.method === method) return { route: r, params, path: p };
      allowed.add(r.trigger.method);
    }
  }
  return allowed.size > 0 ? { allowed: [...allowed] } : undefined;
}

export function createGateway(opts: GatewayOptions): Server {
  const routes = routesOf(opts.functions);
  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      opts.log(`gateway: ${(e as Error).stack ?? e}`);
      if (!res.headersSent) sendJson(res, 500, { message: "local gateway error" });
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
    const found = findRoute(routes, method, url.pathname);
    if (!found) return sendJson(res, 404, { message: `There is no api match ${method} ${url.pathname}` });
    if ("allowed" in found) return sendJson(res, 404, { message: `There is no api match ${method} ${url.pathname} (routed methods: ${found.allowed.join(", ")})` });
    const requestId = randomUUID();
    const info: HttpRequestInfo = {
      method,
      path: found.path,
      rawQuery: url.search.slice(1),
      headers: lowerHeaders(req),
      body,
      sourceIp: (req.socket.remoteAddress ?? "127.0.0.1").replace(/^::ffff:/, ""),
      requestId,
    };
    const shapeHeader = info.headers["x-local-event-shape"];
    const shape: HttpEventShape = shapeHeader === "function-url" || shapeHeader === "apigw" ? shapeHeader : opts.defaultShape;
    const event = shape === "function-url" ? functionUrlEvent(info) : apigwEvent(info, found.route.trigger, found.params);
    const out = await opts.invoker.sync(found.route.fn.name, event, { source: shape, trigger: found.route.trigger.name, requestId });
    const base = { "x-api-requestid": requestId };
    if (!out.ok) {
      const status = out.kind === "timeout" ? 504 : 502;
      return sendJson(res, status, { errorCode: out.kind === "timeout" ? 504 : -1, errorMessage: out.error.errorMessage, requestId }, base);
    }
    const http = httpResponseFrom(out.value, requestId);
    if ("invalid" in http) return sendJson(res, 502, { errorCode: 403, errorMessage: http.invalid }, base);
    const headers: Record<string, string> = { ...http.headers, ...base, "content-length": String(http.body.length) };
    delete headers["transfer-encoding"];
    res.writeHead(http.statusCode, headers);
    res.end(method === "HEAD" ? undefined : http.body);
  }

  return server;
}

export function lowerHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
  return out;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, { ...headers, "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) });
  res.end(text);
}
