// TC3-HMAC-SHA256 verification, as Tencent's API gateway does it for POST JSON.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

export interface Tc3Input {
  authorization: string | undefined;
  /** Lower-cased request headers. */
  headers: Record<string, string | undefined>;
  body: Buffer;
  /** Unix seconds now. */
  now: number;
  /** The service the called API version belongs to (batch, scf, tdmq): its name is a valid credential scope. Default batch. */
  service?: string;
}

export type Tc3Result =
  | { ok: true; secretId: string }
  | { ok: false; code: string; message: string };

const sha256hex = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");
const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data).digest();

const AUTH = /^TC3-HMAC-SHA256 Credential=([^/]+)\/(\d{4}-\d{2}-\d{2})\/([^/]+)\/tc3_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;

export function verifyTc3(input: Tc3Input, secretFor: (secretId: string) => string | undefined): Tc3Result {
  const { authorization, headers, body, now } = input;
  const expectedService = input.service ?? "batch";
  if (!authorization) return { ok: false, code: "AuthFailure.SignatureFailure", message: "The request has no Authorization header." };
  const m = AUTH.exec(authorization.trim());
  if (!m) return { ok: false, code: "AuthFailure.InvalidAuthorization", message: "The Authorization header is not TC3-HMAC-SHA256." };
  const [, secretId, date, service, signedHeaders, signature] = m as unknown as [string, string, string, string, string, string];
  const rawTs = headers["x-tc-timestamp"]?.trim() ?? "";
  if (!/^\d+$/.test(rawTs)) return { ok: false, code: "MissingParameter", message: "X-TC-Timestamp is missing or not a number of seconds." };
  const ts = Number(rawTs);
  if (Math.abs(now - ts) > 300)
    return { ok: false, code: "AuthFailure.SignatureExpire", message: "The signature expired: the timestamp is more than 5 minutes off." };
  const secretKey = secretFor(secretId);
  if (secretKey === undefined)
    return { ok: false, code: "AuthFailure.SecretIdNotFound", message: "The SecretId is not found." };
  const utcDate = new Date(ts * 1000).toISOString().slice(0, 10);
  if (utcDate !== date)
    return { ok: false, code: "AuthFailure.SignatureFailure", message: "The credential date does not match the timestamp." };

  const names = signedHeaders.split(";");
  if (!names.includes("content-type") || !names.includes("host"))
    return { ok: false, code: "AuthFailure.SignatureFailure", message: "SignedHeaders must include content-type and host." };
  // The SDK takes the service from the endpoint up to its first dot: "127" for 127.0.0.1:9100,
  // but "localhost:9100" (port included) for localhost:9100. Either form is accepted.
  const host = (headers.host ?? "").trim().toLowerCase();
  const hostLabels = [host.split(".")[0] ?? "", host.replace(/:\d+$/, "").split(".")[0] ?? ""];
  if (service !== expectedService && !hostLabels.includes(service))
    return { ok: false, code: "AuthFailure.SignatureFailure", message: "The credential scope names another service." };
  const canonicalHeaders = names
    .map((n) => {
      let v = headers[n] ?? "";
      // The SDK signs the hostname without the port.
      if (n === "host") v = v.replace(/:\d+$/, "");
      return `${n}:${v.trim().toLowerCase()}\n`;
    })
    .join("");
  const canonicalRequest = ["POST", "/", "", canonicalHeaders, signedHeaders, sha256hex(body)].join("\n");
  const scope = `${date}/${service}/tc3_request`;
  const stringToSign = ["TC3-HMAC-SHA256", String(ts), scope, sha256hex(canonicalRequest)].join("\n");
  const kDate = hmac(`TC3${secretKey}`, date);
  const kService = hmac(kDate, service);
  const kSigning = hmac(kService, "tc3_request");
  const expected = createHmac("sha256", kSigning).update(stringToSign).digest();
  const given = Buffer.from(signature, "hex");
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, code: "AuthFailure.SignatureFailure", message: "The provided credentials could not be validated." };
  return { ok: true, secretId };
}

/** Signs a request the way the SDK does; for tests and tools that speak the API without the SDK. */
export function signTc3(opts: {
  secretId: string;
  secretKey: string;
  host: string;
  body: string;
  timestamp: number;
  service?: string;
  /** Which of content-type and host to sign (both by default, as the SDK does). */
  signedHeaders?: ReadonlyArray<"content-type" | "host">;
}): string {
  const service = opts.service ?? "batch";
  const date = new Date(opts.timestamp * 1000).toISOString().slice(0, 10);
  const values = { "content-type": "application/json", host: opts.host.replace(/:\d+$/, "") };
  const signed = opts.signedHeaders ?? ["content-type", "host"];
  const canonicalRequest = [
    "POST",
    "/",
    "",
    signed.map((n) => `${n}:${values[n]}\n`).join(""),
    signed.join(";"),
    sha256hex(opts.body),
  ].join("\n");
  const scope = `${date}/${service}/tc3_request`;
  const sts = ["TC3-HMAC-SHA256", String(opts.timestamp), scope, sha256hex(canonicalRequest)].join("\n");
  const kSigning = hmac(hmac(hmac(`TC3${opts.secretKey}`, date), service), "tc3_request");
  const sig = createHmac("sha256", kSigning).update(sts).digest("hex");
  return `TC3-HMAC-SHA256 Credential=${opts.secretId}/${scope}, SignedHeaders=${signed.join(";")}, Signature=${sig}`;
}
