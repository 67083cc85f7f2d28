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

export const IDEMPOTENCY_TAG = "batch-scf/idempotency-key";
export const REQUEST_HASH_TAG = "batch-scf/request-hash";
/** Tags an idempotent request adds to what it creates. */
export const IDEMPOTENCY_TAGS = [IDEMPOTENCY_TAG, REQUEST_HASH_TAG] as const;

const KEY = /^[\x20-\x7e]{1,255}$/;
export const IDEMPOTENCY_KEY_RULE = "must be 1-255 printable ASCII characters";
/** The header's documentation (OpenAPI) for every route that takes it. */
export const IDEMPOTENCY_KEY_DOC =
  "1-255 printable ASCII, scoped to the API key; a retry with the same key and body answers what the first request did " +
  "(header Idempotent-Replayed: true), the same key with another body is 409 idempotency_key_reused; an empty key is 400";
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

export type Resource = "job" | "env";

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
export const ClientTokenSchema = z.string().check(z.regex(KEY, { message: IDEMPOTENCY_KEY_RULE }), z.describe("same as the Idempotency-Key header"));
