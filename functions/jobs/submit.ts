// What POST /jobs sends to Batch, as pure functions: the ClientToken derived from the caller's
// Idempotency-Key, the request hash that detects a reused key with a different body, and the
// final SubmitJob request with this API's tags.
import { createHash } from "node:crypto";
import type { SubmitJobRequest } from "../../shared/batch/port";
import { validationError } from "../../shared/errors";
import type { SubmitJobBody } from "./schemas";
import { IDEMPOTENCY_TAG, REQUEST_HASH_TAG, SUBMITTER_TAG } from "./validate";

const sha256hex = (s: string) => createHash("sha256").update(s, "utf8").digest("hex");

/**
 * The ClientToken for a caller's key: scoped to the submitter (two callers' keys never collide)
 * and ≤ 64 printable ASCII as Batch requires: `bscf-` + 59 hex digits of sha256(submitter, key).
 */
export function clientTokenFor(submitter: string, idempotencyKey: string): string {
  return `bscf-${sha256hex(`${submitter}\u0000${idempotencyKey}`).slice(0, 59)}`;
}

/** JSON with sorted keys, so equal requests hash equal whatever the field order. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v && typeof v === "object")
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v);
}

/** sha256 of the validated request (ClientToken left out): what a retry must repeat. */
export function requestHash(body: SubmitJobBody): string {
  const { ClientToken: _token, ...rest } = body;
  return sha256hex(canonicalJson(rest));
}

/** The caller's key: the Idempotency-Key header or the body's ClientToken (the same if both). */
export function idempotencyKeyOf(header: string | undefined, body: SubmitJobBody): string | undefined {
  const h = header?.trim();
  if (h !== undefined && h !== "") {
    if (h.length > 255 || !/^[\x20-\x7e]+$/.test(h))
      throw validationError([{ path: "headers.idempotency-key", message: "must be 1-255 printable ASCII characters" }]);
    if (body.ClientToken !== undefined && body.ClientToken !== h)
      throw validationError([{ path: "ClientToken", message: "differs from the Idempotency-Key header; give one of them" }]);
    return h;
  }
  return body.ClientToken;
}

export interface Idempotency {
  key: string;
  token: string;
  hash: string;
}

export function idempotencyFor(submitter: string, key: string | undefined, body: SubmitJobBody): Idempotency | undefined {
  return key === undefined ? undefined : { key, token: clientTokenFor(submitter, key), hash: requestHash(body) };
}

/** The exact SubmitJob request: the body, our tags appended, ClientToken when idempotent. */
export function buildSubmitRequest(body: SubmitJobBody, submitter: string, idem: Idempotency | undefined): SubmitJobRequest {
  const { ClientToken: _token, ...rest } = body;
  const tags = [...(body.Job.Tags ?? []), { Key: SUBMITTER_TAG, Value: submitter }];
  if (idem) tags.push({ Key: IDEMPOTENCY_TAG, Value: idem.token }, { Key: REQUEST_HASH_TAG, Value: idem.hash });
  const req = { ...rest, Job: { ...rest.Job, Tags: tags } };
  return (idem ? { ...req, ClientToken: idem.token } : req) as SubmitJobRequest;
}

/** How many tags buildSubmitRequest adds. */
export const reservedTagCount = (idempotent: boolean) => (idempotent ? 3 : 1);

/** A copy with secrets masked, for what is echoed back (dry runs). */
export function maskSecrets<T>(v: T): T {
  if (Array.isArray(v)) return v.map(maskSecrets) as T;
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = /^(SecretKey|Password)$/i.test(k) && typeof x === "string" ? "******" : maskSecrets(x);
    return out as T;
  }
  return v;
}
