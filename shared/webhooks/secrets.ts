// The signing secrets of job notifications, one per API key name, without a secrets store: each is
// derived from a master key the operator sets (WEBHOOK_SIGNING_KEYS, comma-separated, newest
// first), so the jobs function (GET /webhooks/secret, which answers the caller's own) and the
// delivering function (job-notify, which signs with the job's submitter's) compute the same
// secret independently. The one home of the derivation.
//
//   secret(master, name) = "whsec_" + base64(HMAC-SHA256(master, "batch-scf webhook v1:" + name))
//
// 32 bytes of key: within the Standard Webhooks range (24-64); the key bytes are the HMAC itself.
// Rotation: put a new master first and keep the old one after it. Every delivery is then signed
// with both (one `v1,` signature per master, space-separated, as the specification allows), so an
// app can switch to its new secret whenever it likes; drop the old master once every app has.
import { createHmac } from "node:crypto";
import { AppError } from "../errors";
import { SECRET_PREFIX } from "./signature";

/** The derivation's domain label: changing it changes every secret. */
export const SECRET_LABEL = "batch-scf webhook v1:";
/** Masters in use at once (the current one and those being retired). */
export const MAX_SIGNING_KEYS = 3;
const MASTER = /^[A-Za-z0-9._~+/=-]{32,256}$/;

/** The key bytes of `name`'s secret under `master`. */
const derive = (master: string, name: string): Buffer => createHmac("sha256", master).update(`${SECRET_LABEL}${name}`, "utf8").digest();

/** `name`'s secrets in the specification's form, newest master first. */
export const webhookSecretsFor = (masters: readonly string[], name: string): string[] => masters.map((m) => `${SECRET_PREFIX}${derive(m, name).toString("base64")}`);

/** The HMAC keys a delivery for `name` is signed with (one signature each), newest master first. */
export const signingKeysFor = (masters: readonly string[], name: string): Buffer[] => masters.map((m) => derive(m, name));

/**
 * WEBHOOK_SIGNING_KEYS: comma-separated master keys, newest first, each 32-256 of
 * `[A-Za-z0-9._~+/=-]` (e.g. `openssl rand -hex 32`), at most MAX_SIGNING_KEYS, no repeats.
 * Unset or empty: [] (notifications off). Throws config_invalid naming the entry, never its value.
 */
export function signingKeysFromEnv(env: NodeJS.ProcessEnv): string[] {
  const keys = (env.WEBHOOK_SIGNING_KEYS ?? "")
    .split(",")
    .map((k) => k.trim())
    .filter((k) => k !== "");
  const bad = (message: string) => new AppError("config_invalid", `WEBHOOK_SIGNING_KEYS: ${message}`, { status: 500, expose: false });
  const wrong = keys.findIndex((k) => !MASTER.test(k));
  if (wrong >= 0) throw bad(`entry ${wrong + 1} must be 32-256 of A-Z a-z 0-9 . _ ~ + / = - (e.g. openssl rand -hex 32)`);
  if (keys.length > MAX_SIGNING_KEYS) throw bad(`at most ${MAX_SIGNING_KEYS} keys (the current one first, then those being retired)`);
  if (new Set(keys).size !== keys.length) throw bad("an entry is repeated");
  return keys;
}
