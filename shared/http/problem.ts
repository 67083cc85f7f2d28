// Errors → RFC 9457 problem documents (`application/problem+json`). AppErrors under 500 (or
// marked `expose`) show their message; anything else is a generic 500 that only names the request
// id, with the details in the log.
import { AppError, type FieldIssue, isAppError } from "../errors";

export const PROBLEM_TYPE_BASE = "urn:batch-scf:problem:";

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  /** The request id, to quote when asking for help. */
  instance: string;
  errors: Array<{ path: string; message: string }>;
  tencentCode?: string;
  tencentRequestId?: string;
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** Codes for errors whose own code stays in the log (it may say too much, e.g. about our credentials). */
const HIDDEN_CODES: Record<number, string> = { 502: "bad_gateway", 503: "service_unavailable", 504: "gateway_timeout" };

/** Keys of AppError.details that become headers, never body members. */
const HEADER_DETAILS = new Set(["wwwAuthenticate", "allow"]);
const RESERVED = new Set(["type", "title", "status", "code", "detail", "instance", "errors", "tencentCode", "tencentRequestId"]);

export interface ProblemAnswer {
  status: number;
  headers: Record<string, string>;
  problem: Problem;
  /** Whether the error was unexpected (logged at error level with its stack). */
  unexpected: boolean;
}

export function toProblem(err: unknown, requestId: string): ProblemAnswer {
  if (!isAppError(err) || !err.expose) {
    const status = isAppError(err) ? err.status : 500;
    const code = HIDDEN_CODES[status] ?? "internal_error";
    return {
      status,
      headers: retryAfter(err),
      unexpected: true,
      problem: {
        type: `${PROBLEM_TYPE_BASE}${code}`,
        title: TITLES[status] ?? "Error",
        status,
        code,
        detail: `the request failed; quote request id ${requestId} when reporting it`,
        instance: requestId,
        errors: [],
      },
    };
  }
  const headers = retryAfter(err);
  const extensions: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(err.details ?? {})) {
    if (HEADER_DETAILS.has(k)) continue;
    if (!RESERVED.has(k)) extensions[k] = v;
  }
  const www = err.details?.wwwAuthenticate;
  if (typeof www === "string") headers["www-authenticate"] = www;
  const allow = err.details?.allow;
  if (Array.isArray(allow)) headers.allow = allow.join(", ");
  return {
    status: err.status,
    headers,
    unexpected: false,
    problem: {
      type: `${PROBLEM_TYPE_BASE}${err.code}`,
      title: TITLES[err.status] ?? "Error",
      status: err.status,
      code: err.code,
      detail: err.message,
      instance: requestId,
      errors: err.issues.map((i: FieldIssue) => ({ path: i.path, message: i.message })),
      ...(err.tencentCode ? { tencentCode: err.tencentCode } : {}),
      ...(err.requestId ? { tencentRequestId: err.requestId } : {}),
      ...extensions,
    },
  };
}

function retryAfter(err: unknown): Record<string, string> {
  if (err instanceof AppError && err.retryAfterSeconds !== undefined)
    return { "retry-after": String(Math.max(1, Math.ceil(err.retryAfterSeconds))) };
  return {};
}
