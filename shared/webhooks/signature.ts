// Signed webhooks per the Standard Webhooks specification (github.com/standard-webhooks/standard-webhooks,
// spec/standard-webhooks.md), so a receiving app can verify deliveries with any of its libraries:
// - headers `webhook-id` (stable per message: a retry repeats it, so receivers dedupe on it),
//   `webhook-timestamp` (Unix seconds) and `webhook-signature`;
// - signature = `v1,` + base64(HMAC-SHA256(secret, `${id}.${timestamp}.${body}`)); several,
//   space-separated, while a secret is being rotated (each receiver accepts any that matches);
// - secrets are `whsec_` + base64 of 24-64 random bytes (the spec's form); the raw bytes are the key.
// Matches the specification's published test vector (test/webhooks/signature.test.ts).
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const SECRET_PREFIX = "whsec_";
/** Bytes of a secret this project generates (the spec asks for 24-64). */
export const SECRET_BYTES = 32;
/** How far a timestamp may be from the receiver's clock (the spec's libraries use 5 minutes). */
export const TIMESTAMP_TOLERANCE_SECONDS = 300;

/** A new secret in the spec's form: `whsec_` + base64 of SECRET_BYTES random bytes. */
export const newWebhookSecret = (): string => `${SECRET_PREFIX}${randomBytes(SECRET_BYTES).toString("base64")}`;

/** The key bytes of a secret (`whsec_…` or the bare base64); undefined when it is not one (24-64 bytes). */
export function secretKey(secret: string): Buffer | undefined {
  const b64 = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return undefined;
  const key = Buffer.from(b64, "base64");
  return key.length >= 24 && key.length <= 64 ? key : undefined;
}

export interface WebhookMessage {
  /** `webhook-id`: stable for the message across retries. */
  id: string;
  /** `webhook-timestamp`: Unix seconds of this attempt. */
  timestamp: number;
  /** The exact body bytes sent. */
  body: string;
}

const sign1 = (key: Buffer, m: WebhookMessage): string => createHmac("sha256", key).update(`${m.id}.${m.timestamp}.${m.body}`).digest("base64");

/** The `webhook-signature` header: `v1,<sig>` per key, space-separated (rotation: old and new). */
export function signWebhook(keys: readonly Buffer[], m: WebhookMessage): string {
  if (keys.length === 0) throw new Error("signWebhook: no key");
  return keys.map((k) => `v1,${sign1(k, m)}`).join(" ");
}

/** The three headers of a delivery. */
export const webhookHeaders = (keys: readonly Buffer[], m: WebhookMessage): Record<string, string> => ({
  "webhook-id": m.id,
  "webhook-timestamp": String(m.timestamp),
  "webhook-signature": signWebhook(keys, m),
});

export type Verdict = { ok: true } | { ok: false; reason: "missing_headers" | "bad_timestamp" | "timestamp_out_of_tolerance" | "no_matching_signature" };

/**
 * A receiver's check (what the spec's libraries do): the headers are present, the timestamp is
 * within the tolerance of `nowSeconds`, and one `v1,` signature matches one of `keys`
 * (compared in constant time).
 */
export function verifyWebhook(
  keys: readonly Buffer[],
  headers: Readonly<Record<string, string | undefined>>,
  body: string,
  nowSeconds: number,
  toleranceSeconds = TIMESTAMP_TOLERANCE_SECONDS,
): Verdict {
  const id = headers["webhook-id"];
  const ts = headers["webhook-timestamp"];
  const sigs = headers["webhook-signature"];
  if (!id || !ts || !sigs) return { ok: false, reason: "missing_headers" };
  if (!/^\d{1,12}$/.test(ts)) return { ok: false, reason: "bad_timestamp" };
  const timestamp = Number(ts);
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return { ok: false, reason: "timestamp_out_of_tolerance" };
  const expected = keys.map((k) => Buffer.from(sign1(k, { id, timestamp, body }), "base64"));
  for (const part of sigs.split(" ")) {
    const [version, sig] = part.split(",", 2);
    if (version !== "v1" || !sig) continue;
    const got = Buffer.from(sig, "base64");
    if (expected.some((e) => e.length === got.length && timingSafeEqual(e, got))) return { ok: true };
  }
  return { ok: false, reason: "no_matching_signature" };
}

/**
 * The `webhook-id` of one event of one job: the same on every retry and every function instance
 * (receivers dedupe on it), different across jobs and events. `msg_` + 32 hex of sha256.
 */
export const webhookIdFor = (jobId: string, event: string): string => `msg_${createHash("sha256").update(`${jobId}\u0000${event}`).digest("hex").slice(0, 32)}`;
