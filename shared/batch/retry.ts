// Which Batch failures are worth another try, and how long to wait before it.

export interface SdkErrorLike {
  code?: string;
  httpCode?: number;
  requestId?: string;
  message?: string;
}

export function asSdkError(e: unknown): SdkErrorLike {
  if (e && typeof e === "object") return e as SdkErrorLike;
  return { message: String(e) };
}

/**
 * Node's messages (OpenSSL's X509 verify errors, the name check) for a TLS peer that fails
 * verification. Only the message reaches us: the SDK rethrows with the message alone.
 */
const TLS_VERIFY_FAILURE =
  /self[- ]signed certificate|unable to (get|verify) .*(certificate|issuer)|certificate (has expired|is not yet valid|signature failure|revoked|not trusted|rejected|chain too long)|unsupported certificate purpose|invalid CA certificate|unable to decrypt certificate|format error in certificate|path length constraint exceeded|Hostname\/IP does not match certificate/i;

/**
 * Retry throttling, internal errors, 5xx and network failures; never a caller's mistake
 * (InvalidParameter*, ResourceNotFound*, AuthFailure*, UnsupportedOperation* in general).
 * `…AcceptOtherRequest` (the env is busy with another request) is not retried either: the write
 * was planned from a read taken before that other request, and repeating it once the env is free
 * could overwrite a change another caller was told was applied. It reaches the caller as 409
 * `env_busy` with Retry-After (./errors), to be decided again on a fresh read.
 */
export function isRetryable(e: unknown): boolean {
  const err = asSdkError(e);
  const code = err.code ?? "";
  if (code) {
    if (code.startsWith("RequestLimitExceeded")) return true;
    if (code.startsWith("InternalError")) return true;
    return false;
  }
  if (typeof err.httpCode === "number") return err.httpCode >= 500 || err.httpCode === 429;
  // A certificate the client does not trust (or one for another name) fails the same way on
  // every attempt: a configuration error to report at once, not a network blip to wait out.
  if (TLS_VERIFY_FAILURE.test(err.message ?? "")) return false;
  // No Tencent code and no HTTP status: the request never got an answer (network, timeout).
  return !(e instanceof TypeError) || /fetch failed|network|socket|ECONN|ETIMEDOUT/i.test(err.message ?? "");
}

export interface BackoffOptions {
  baseMs: number;
  capMs: number;
  random?: () => number;
}

/** Full jitter: a uniform wait in [0, min(cap, base × 2^attempt)]. */
export function backoffDelay(attempt: number, opts: BackoffOptions): number {
  const rnd = opts.random ?? Math.random;
  const ceiling = Math.min(opts.capMs, opts.baseMs * 2 ** attempt);
  return Math.floor(rnd() * ceiling);
}

export interface RetryOptions extends BackoffOptions {
  maxAttempts: number;
  /** No retry starts later than this many ms after the first attempt (callers have deadlines). */
  deadlineMs?: number;
  /** Whether this error may be retried; default `isRetryable`. */
  retryable?: (e: unknown) => boolean;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  onRetry?: (info: { attempt: number; delayMs: number; error: SdkErrorLike }) => void;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const wait = opts.sleep ?? sleep;
  const now = opts.now ?? Date.now;
  const retryable = opts.retryable ?? isRetryable;
  const started = now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (attempt + 1 >= opts.maxAttempts || !retryable(e)) throw e;
      const delayMs = backoffDelay(attempt, opts);
      if (opts.deadlineMs !== undefined && now() - started + delayMs >= opts.deadlineMs) throw e;
      opts.onRetry?.({ attempt: attempt + 1, delayMs, error: asSdkError(e) });
      await wait(delayMs);
    }
  }
}

/**
 * For actions that are not safe to repeat (DeleteJob, TerminateJob, …): retry only what proves
 * the request was not carried out (throttled, or the connection refused). After a timeout or a
 * 5xx the first attempt may have worked, and a repeat would answer 404/409 for a success.
 */
export function isRetryableUnapplied(e: unknown): boolean {
  const err = asSdkError(e);
  if (err.code) return err.code.startsWith("RequestLimitExceeded");
  return /ECONNREFUSED/.test(err.message ?? "");
}
