// Secrets in a request (an Authentications SecretKey, a Docker Password) are masked in
// whatever is stored or echoed back (dry runs, the emulator's submit info).
const SECRET_FIELD = /^(SecretKey|Password)$/i;
export const MASK = "******";

/** A deep copy with every secret string field replaced by `******`. */
export function maskSecrets<T>(v: T): T {
  if (Array.isArray(v)) return v.map(maskSecrets) as T;
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = SECRET_FIELD.test(k) && typeof x === "string" ? MASK : maskSecrets(x);
    return out as T;
  }
  return v;
}
