// Batch failures as AppErrors: Tencent's error code decides the HTTP status, and the code and
// RequestId travel with the error (to the answer when exposed, always to the log).
import { AppError, isAppError } from "../errors";
import { asSdkError } from "./retry";

const STATUS_BY_PREFIX: Array<[string, number]> = [
  ["RequestLimitExceeded", 429],
  ["ResourceNotFound", 404],
  ["InvalidParameter", 400],
  ["InvalidFilter", 400],
  ["InvalidZone", 400],
  ["UnknownParameter", 400],
  ["MissingParameter", 400],
  ["AllowedOneAttributeInEnvIdAndComputeEnv", 400],
  ["ResourceInUse", 409],
  ["UnsupportedOperation", 409],
  ["LimitExceeded", 422],
  ["InternalError", 503],
  ["AuthFailure", 502],
  ["UnauthorizedOperation", 502],
];

/**
 * How long a caller should wait when an env is busy with another request (`…AcceptOtherRequest`).
 * The client layer does not repeat that refusal (./retry: the write was planned from a read taken
 * before the other change), and the env is applying a change: Batch applies one by creating or
 * destroying CVMs, which takes tens of seconds. 10 s spares the quota (ModifyComputeEnv and DescribeComputeEnv: about 2/s) a
 * retry that would meet the same state, and is short next to the cooldown (60 s by default) that
 * a retry after an applied change meets anyway, with its own exact Retry-After.
 */
export const ENV_BUSY_RETRY_AFTER_SECONDS = 10;

const ENV_BUSY = { code: "env_busy", status: 409, retryAfterSeconds: ENV_BUSY_RETRY_AFTER_SECONDS };
/** Tencent codes answered more precisely than their prefix says: the answer's code, status and Retry-After. */
const BY_CODE: Record<string, { code: string; status: number; retryAfterSeconds?: number }> = {
  "UnsupportedOperation.ComputeEnvAcceptOtherRequest": ENV_BUSY,
  "UnsupportedOperation.AcceptOtherRequest": ENV_BUSY,
};

/** Wraps an SDK failure in an AppError that keeps Tencent's Code and RequestId. */
export function batchError(action: string, e: unknown): AppError {
  if (e instanceof AppError) return e;
  const err = asSdkError(e);
  const code = err.code || undefined;
  const requestId = err.requestId || undefined;
  const exact = code ? BY_CODE[code] : undefined;
  let status = 502;
  if (exact) status = exact.status;
  else if (code) {
    for (const [prefix, s] of STATUS_BY_PREFIX) {
      if (code.startsWith(prefix)) {
        status = s;
        break;
      }
    }
  } else if (typeof err.httpCode === "number") {
    status = err.httpCode >= 500 ? 503 : 502;
  } else {
    status = 503;
  }
  // Our own credentials or CAM failing is not the caller's business: no detail leaks.
  const expose = status < 500 || status === 503;
  // Without a Tencent code the message is the transport's (it names the endpoint) or our own:
  // callers get a generic sentence, the log gets the detail.
  const message = code ? `Batch ${action} failed: ${code}: ${err.message ?? ""}`.trim() : `Batch ${action} failed: no answer from the Batch API`;
  const retryAfterSeconds = exact ? exact.retryAfterSeconds : status === 429 || status === 503 ? 1 : undefined;
  return new AppError(exact?.code ?? (code ? `batch.${code}` : "batch.unavailable"), message, {
    status,
    expose,
    ...(code ? { tencentCode: code } : {}),
    ...(requestId ? { requestId } : {}),
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    cause: e,
  });
}

/** What a caller should make of Tencent's codes for compute-env actions, so a 409 says what to do. */
const HINTS: Record<string, string> = {
  "UnsupportedOperation.ComputeEnvAcceptOtherRequest": "the env is busy with another request (or being deleted); retry shortly",
  "UnsupportedOperation.AcceptOtherRequest": "Batch is busy with another request on this env; retry shortly",
  "UnsupportedOperation.ComputeEnvOperation": "the env cannot do this now: it is being deleted, or still has nodes that are not destroyed",
  "UnsupportedOperation.ComputeNodeForbidTerminate": "a chosen node cannot be terminated in its state (only CREATED, CREATION_FAILED, RUNNING, ABNORMAL)",
  "UnsupportedOperation.ComputeNodeIsTerminating": "a chosen node is already being terminated",
  "UnsupportedOperation.NotEnoughComputeNodesToTerminate": "too few nodes can be destroyed now (others are still starting); retry when they run",
  "ResourceNotFound.ComputeEnv": "no such compute environment in this region",
  "ResourceNotFound.ComputeNode": "a chosen node does not exist in this env",
  "LimitExceeded.CpuQuota": "the account's CPU quota does not allow that many cores",
  "LimitExceeded.ComputeEnvQuota": "the account's quota of compute environments is used up",
};

/** The Batch error with the hint for its Tencent code put before its message (others unchanged). */
export function withHint(e: unknown): unknown {
  if (!isAppError(e) || !e.tencentCode) return e;
  const hint = HINTS[e.tencentCode];
  if (!hint) return e;
  return new AppError(e.code, `${hint} (${e.message})`, {
    status: e.status,
    expose: e.expose,
    tencentCode: e.tencentCode,
    ...(e.requestId ? { requestId: e.requestId } : {}),
    ...(e.retryAfterSeconds !== undefined ? { retryAfterSeconds: e.retryAfterSeconds } : {}),
    cause: e,
  });
}
