// Idempotency for the APIs that create things (POST /jobs, POST /envs), one scheme for both:
// - the key: the `Idempotency-Key` header or the body's `ClientToken` (both given must be equal),
//   1-255 printable ASCII;
// - scoped to the caller: Batch gets ClientToken = `bscf-` + 59 hex digits of sha256(caller, key)
//   (64 characters, Batch's limit), so two callers' keys never collide;
// - remembered on the resource: the tags IDEMPOTENCY_TAG (that token) and REQUEST_HASH_TAG (sha256
//   of the request, key order ignored); a retry finds the resource by the token tag: the same
//   hash is a replay (the original id, `Idempotent-Replayed: true`), another one is 409
//   `idempotency_key_reused`. Batch's own ClientToken check backs this up when the tags are gone.
import * as z from "./zod";
import { AppError, type FieldIssue, isAppError } from "./errors";
import { requestHash, sha256hex } from "./schemas/canonical-json";
import { DOCS } from "./docs";
import { doc } from "./zod";

export const IDEMPOTENCY_TAG = "batch-scf/idempotency-key";
export const REQUEST_HASH_TAG = "batch-scf/request-hash";
/** Tags an idempotent request adds to what it creates. */
export const IDEMPOTENCY_TAGS = [IDEMPOTENCY_TAG, REQUEST_HASH_TAG] as const;

const KEY = /^[\x20-\x7e]{1,255}$/;
export const IDEMPOTENCY_KEY_RULE = "must be 1-255 printable ASCII characters";
/** The header's documentation (OpenAPI) for every route that takes it; empty in bundles (their document is prebuilt). */
export const IDEMPOTENCY_KEY_DOC = !DOCS
  ? ""
  : "1-255 printable ASCII, scoped to the API key; an empty key is 400. Creating (POST /jobs, POST /envs): a retry with the same key " +
  "and body answers what the first request did (Idempotent-Replayed: true), another body is 409 idempotency_key_reused. Actions: the " +
  "function instance that served the key replays its answer; another instance judges the repeat by the resource's state (409 when " +
  "it no longer applies)";
export const KEY_HEADER_PATH = "headers.idempotency-key";

export const isIdempotencyKey = (s: string) => KEY.test(s);

/** The ClientToken Batch gets for a caller's key: ≤ 64 printable ASCII, as Batch requires. */
export function clientTokenFor(caller: string, key: string): string {
  return `bscf-${sha256hex(`${caller}\u0000${key}`).slice(0, 59)}`;
}

/** Whether a request carries a key (header or body ClientToken), before either is validated. */
export function asksIdempotency(header: string | undefined, body: unknown): boolean {
  const token = (body as { ClientToken?: unknown } | null)?.ClientToken;
  return header !== undefined || (typeof token === "string" && token !== "");
}

/** The caller's key and what is wrong with it: the header, or the body's ClientToken (the same if both). */
export function idempotencyKeyOf(header: string | undefined, bodyToken: string | undefined): { key: string | undefined; issues: FieldIssue[] } {
  const h = header?.trim();
  if (h === undefined) return { key: bodyToken, issues: [] };
  if (h === "") return { key: undefined, issues: [{ path: KEY_HEADER_PATH, message: `is empty: ${IDEMPOTENCY_KEY_RULE}, or leave the header out` }] };
  if (!isIdempotencyKey(h)) return { key: undefined, issues: [{ path: KEY_HEADER_PATH, message: IDEMPOTENCY_KEY_RULE }] };
  if (bodyToken !== undefined && bodyToken !== h)
    return { key: undefined, issues: [{ path: "ClientToken", message: "differs from the Idempotency-Key header; give one of them or make them equal" }] };
  return { key: h, issues: [] };
}

export interface Idempotency {
  key: string;
  token: string;
  hash: string;
}

/** The token and request hash for `request` (its ClientToken left out of the hash). */
export function idempotencyFor(caller: string, key: string | undefined, request: object): Idempotency | undefined {
  return key === undefined ? undefined : { key, token: clientTokenFor(caller, key), hash: requestHash(request) };
}

/** The tags that remember the key on the resource. */
export const idempotencyTags = (idem: Idempotency) => [
  { Key: IDEMPOTENCY_TAG, Value: idem.token },
  { Key: REQUEST_HASH_TAG, Value: idem.hash },
];

/** The `tag:` filter that finds what an earlier request with this token created. */
export const tokenFilter = (idem: Idempotency) => ({ Name: `tag:${IDEMPOTENCY_TAG}`, Values: [idem.token] });

export type Resource = "job" | "env" | "action";

/**
 * The id of what an earlier request with the same token created, or undefined when there is
 * none; throws 409 idempotency_key_reused when it was created by a different request.
 */
export function replayOf(
  kind: Resource,
  idem: Idempotency,
  prior: { id: string; tags: ReadonlyArray<{ Key: string; Value: string }> } | undefined,
): string | undefined {
  if (!prior) return undefined;
  if (prior.tags.find((t) => t.Key === REQUEST_HASH_TAG)?.Value !== idem.hash) throw keyReused(kind, prior.id);
  return prior.id;
}

/** Batch refuses a reused ClientToken with a different request (InvalidParameter naming it). */
export function isTokenConflict(e: unknown): boolean {
  return isAppError(e) && !!e.tencentCode?.startsWith("InvalidParameter") && e.message.includes("ClientToken");
}

export function keyReused(kind: Resource, id: string | undefined, cause?: unknown): AppError {
  return new AppError(
    "idempotency_key_reused",
    `this Idempotency-Key was already used for a different request${id ? ` (${kind} ${id})` : ""}; use a new key for a new ${kind}`,
    {
      status: 409,
      ...(id ? { details: { [`${kind}Id`]: id } } : {}),
      ...(isAppError(cause) ? { cause, tencentCode: cause.tencentCode, requestId: cause.requestId } : {}),
    },
  );
}

/** A body's ClientToken: the caller's key, as the Idempotency-Key header (not Batch's token). */
export const ClientTokenSchema = z.string().check(z.regex(KEY, { message: IDEMPOTENCY_KEY_RULE }), ...doc(DOCS && "same as the Idempotency-Key header"));

/**
 * What the HTTP layer needs to take a route's `Idempotency-Key`: a route opts in with
 * `idempotency: IDEMPOTENCY_KEY` (shared/http/handler.ts), so functions without such a route do
 * not carry this module.
 */
export const IDEMPOTENCY_KEY = { keyOf: idempotencyKeyOf, asks: asksIdempotency, doc: IDEMPOTENCY_KEY_DOC } as const;

/** How long an instance remembers an action's key (Stripe keeps keys 24 h). */
export const ACTION_REPLAY_TTL_MS = 24 * 3600_000;
/** How many keys an instance remembers (oldest forgotten first). */
export const ACTION_REPLAY_MAX = 1000;

export interface ActionReplays {
  /**
   * Runs `act` once per (caller, key): a request with the same key and the same `request` joins
   * the execution in flight, or gets its remembered answer (`replayed: true`); the same key with
   * another request is 409 idempotency_key_reused. Without a key, `act` just runs. A failed
   * execution is not remembered (the same key may try again).
   */
  run<T>(caller: string, key: string | undefined, request: object, act: () => Promise<T>): Promise<{ value: T; replayed: boolean }>;
}

/**
 * Idempotency for the actions that create nothing (terminate, retry, delete, scale, terminate
 * nodes): Batch keeps no token for them, so the function instance that served a key remembers it
 * (ACTION_REPLAY_TTL_MS, at most ACTION_REPLAY_MAX keys; a key still running is never forgotten).
 * Instances share no memory: a repeat that reaches another instance (or comes after the TTL) is
 * judged by the action's precondition on Batch's state instead: a job already terminating or
 * deleted, a failure already retried (409 with the state found); a scale to an absolute count sets
 * the same count again (a relative `delta` is refused with a key for this reason). It is answered
 * from the state, not replayed.
 */
export function actionReplays(opts: { now?: () => number; ttlMs?: number; max?: number } = {}): ActionReplays {
  const now = opts.now ?? Date.now;
  const ttl = opts.ttlMs ?? ACTION_REPLAY_TTL_MS;
  const max = opts.max ?? ACTION_REPLAY_MAX;
  const entries = new Map<string, { hash: string; at: number; answer: Promise<unknown>; settled: boolean }>();
  return {
    async run(caller, key, request, act) {
      if (key === undefined) return { value: await act(), replayed: false };
      const token = clientTokenFor(caller, key);
      const hash = requestHash(request);
      const t = now();
      const seen = entries.get(token);
      if (seen && t - seen.at < ttl) {
        if (seen.hash !== hash) throw keyReused("action", undefined);
        return { value: (await seen.answer) as Awaited<ReturnType<typeof act>>, replayed: true };
      }
      const answer = act();
      const entry = { hash, at: t, answer, settled: false };
      void answer.then(
        () => {
          entry.settled = true;
        },
        () => {
          entry.settled = true;
        },
      );
      entries.delete(token);
      entries.set(token, entry);
      // Forget the oldest settled keys past the maximum; a key whose action still runs stays.
      for (const [k, e] of entries) {
        if (entries.size <= max) break;
        if (e.settled) entries.delete(k);
      }
      try {
        return { value: await answer, replayed: false };
      } catch (e) {
        if (entries.get(token)?.answer === answer) entries.delete(token);
        throw e;
      }
    },
  };
}
