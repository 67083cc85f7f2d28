// The request hash that tells a retry (same request) from a reused idempotency key (another
// request): sha256 of JSON with sorted keys, so field order does not matter. Absent and null
// fields are the same (SDK objects serialise unset fields as null).
import { createHash } from "node:crypto";

export const sha256hex = (s: string) => createHash("sha256").update(s, "utf8").digest("hex");

export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined && o[k] !== null)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

/** sha256 (hex) of the request's canonical JSON, its ClientToken left out. */
export function requestHash(request: object): string {
  const { ClientToken: _token, ...rest } = request as Record<string, unknown>;
  return sha256hex(canonicalJson(rest));
}
