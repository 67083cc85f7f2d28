// A CMQ topic's HTTP push to a function (the way Batch events reach functions now that SCF creates
// no CMQ triggers): the deploy gives the function a Function URL and subscribes `<url>/cmq/<token>`
// to the topic. Either HTTP event shape is accepted (./http.ts). Used by node-abnormal and job-notify.
//
// - `POST /cmq/<token>` (a leading stage segment is allowed): the token is compared in constant
//   time (sha256 of both, timingSafeEqual) with CMQ_PUSH_TOKEN. Not configured → 503
//   `push_not_configured` (fail closed, logged once per container); none or another → 403
//   `forbidden`, before anything is parsed or read. Anything else → 404.
// - The body (≤ 1 MB, 413 past that) is the JSON or SIMPLIFIED push format (cmq-push.ts), handed
//   to `handle`. 200 with what it answers when handled, poison messages included (logged; a retry
//   would fail the same way); 503 + Retry-After when it throws a 503 or 429 AppError (a transient
//   failure: CMQ re-pushes on non-2xx).
// - The token never reaches a log line or an answer: the access log shows `/cmq/***`.
import { AppError, isAppError } from "../errors";
import { toProblem } from "../http/problem";
import { fallbackRequestId, type HttpRequest, type ScfHttpResponse, toHttpRequest } from "../http/request";
import { STAGE_NAMES } from "../http/router";
import { matchesSecret, secretDigest } from "../http/secret";
import type { Logger } from "../log";
import { type ParsedCmqPush, parseCmqPush } from "./cmq-push";

export type PushContext = { request_id?: string; requestId?: string };

export interface PushEndpointDeps {
  /** The function's name, for the 404's message. */
  name: string;
  /** Handles the parsed push; its answer is the 200's body. */
  handle(parsed: ParsedCmqPush, context: PushContext): Promise<unknown>;
  /** CMQ_PUSH_TOKEN; undefined or empty = pushes are refused (503). */
  token: string | undefined;
  logger: Logger;
  /** Seconds CMQ is asked to wait before pushing again after a transient failure. */
  retryAfterSeconds?: number;
  now?: () => number;
}

/** `/cmq/<anything…>` → `/cmq/***`, wherever it sits in the path. */
export function maskPushPath(path: string): string {
  return path.replace(/(^|\/)cmq\/.*$/, "$1cmq/***");
}

/** The token segment of `POST [/<stage>]/cmq/<token>`: "" when absent, undefined when not that path. */
function pushToken(rawPath: string): string | undefined {
  let segs = rawPath.split("?")[0]!.split("/").filter(Boolean);
  if (segs.length > 0 && (STAGE_NAMES as readonly string[]).includes(segs[0]!)) segs = segs.slice(1);
  if (segs[0] !== "cmq" || segs.length > 2) return undefined;
  return segs[1] ?? "";
}

export function makePushEndpoint(deps: PushEndpointDeps): (event: unknown, context?: PushContext) => Promise<ScfHttpResponse> {
  const now = deps.now ?? (() => Number(process.hrtime.bigint()) / 1e6);
  const expected = deps.token ? secretDigest(deps.token) : undefined;
  let warned = false;

  return async (event, context) => {
    const started = now();
    let req: HttpRequest | undefined;
    let requestId = "";
    let status = 200;
    let body: unknown;
    let headers: Record<string, string> = {};
    let code: string | undefined;
    try {
      req = toHttpRequest(event, context);
      requestId = req.requestId;
      const presented = pushToken(req.rawPath);
      if (presented === undefined || req.method !== "POST") {
        throw new AppError("not_found", `${deps.name} serves POST /cmq/<token> (the topic's HTTP push) only`, { status: 404 });
      }
      if (!expected) {
        if (!warned) deps.logger.error("CMQ_PUSH_TOKEN is not set: every topic push is refused (503)");
        warned = true;
        throw new AppError("push_not_configured", "the function has no push token configured; it refuses pushes", { status: 503, expose: true });
      }
      if (!matchesSecret(presented, expected)) {
        throw new AppError("forbidden", "the push token is missing or not valid", { status: 403 });
      }
      const parsed = parseCmqPush(req.body, req.headers);
      try {
        body = await deps.handle(parsed, { request_id: requestId });
      } catch (e) {
        if (isAppError(e) && (e.status === 503 || e.status === 429)) {
          throw new AppError("retry_later", `${e.message}`, { status: 503, expose: true, retryAfterSeconds: deps.retryAfterSeconds ?? 30, details: e.details });
        }
        throw e;
      }
    } catch (err) {
      if (!requestId) requestId = fallbackRequestId(event, context);
      const p = toProblem(err, requestId);
      code = p.problem.code;
      if (p.unexpected) deps.logger.error("push failed", { request_id: requestId, err, code });
      status = p.status;
      headers = { ...p.headers, "content-type": "application/problem+json" };
      body = p.problem;
    }
    const rawPath = req?.rawPath ?? (typeof (event as { path?: unknown })?.path === "string" ? (event as { path: string }).path : "?");
    deps.logger.info("request", {
      request_id: requestId,
      method: req?.method ?? "?",
      path: maskPushPath(rawPath),
      status,
      ms: Math.round((now() - started) * 10) / 10,
      source_ip: req?.sourceIp ?? null,
      ...(code ? { code } : {}),
    });
    return {
      isBase64Encoded: false,
      statusCode: status,
      headers: { "cache-control": "no-store", "content-type": "application/json", ...headers, "x-request-id": requestId },
      body: JSON.stringify(body),
    };
  };
}
