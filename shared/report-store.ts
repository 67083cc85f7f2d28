// Where reports are written. One port, two adapters: the local stack's COS folder
// (`cos://bucket-appid.cos.region.myqcloud.com/prefix/` → `<LOCAL_COS_DIR>/bucket-appid/prefix/…`)
// and the real COS XML API (PUT Object signed with the COS request signature, using the
// function's temporary credentials and x-cos-security-token).
import { createHash, createHmac } from "node:crypto";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { checkCosPath, parseCosPath } from "./schemas/paths";
import { AppError } from "./errors";

export interface ReportStore {
  /** Writes `body` under the destination prefix at `key` (e.g. `2019-02-20/cost-report.json`). */
  put(key: string, body: string | Uint8Array, contentType: string): Promise<{ location: string }>;
}

export interface StoreCredentials {
  secretId: string;
  secretKey: string;
  token?: string | undefined;
}

/** Why `key` may not be written, or undefined when it may. Keys are relative, `/`-separated, plain. */
export function checkObjectKey(key: string): string | undefined {
  if (key === "") return "the key is empty";
  if (key.length > 850) return "the key is longer than 850 characters";
  if (key.startsWith("/") || isAbsolute(key) || /^[a-zA-Z]:/.test(key)) return "the key must be relative";
  if (key.includes("\\")) return "the key may not contain a backslash";
  // Control characters, NUL included, never belong in a key.
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return "the key may not contain control characters";
  }
  if (/%(2f|5c|2e|00)/i.test(key)) return "the key may not contain encoded separators, dots or NUL";
  if (key.split("/").some((seg) => seg === "" || seg === "." || seg === "..")) return "the key may not contain empty, . or .. segments";
  return undefined;
}

/** The destination's bucket folder (`bucket-appid`), its COS host and the key prefix. */
function destOf(dest: string): { bucketDir: string; host: string; prefix: string } {
  const check = checkCosPath(dest);
  const p = parseCosPath(dest);
  if (!check.ok || !p) {
    throw new AppError("config_invalid", `COST_REPORT_DEST: ${check.ok ? "not a COS path" : check.rule}`, { status: 500, expose: false });
  }
  const bucketDir = `${p.bucket}-${p.appId}`;
  return { bucketDir, host: `${bucketDir}.cos.${p.region}.myqcloud.com`, prefix: p.key };
}

function refuseKey(key: string): never {
  throw new AppError("report_store.bad_key", `refused to write report key ${JSON.stringify(key)}: ${checkObjectKey(key)}`, { status: 500, expose: false });
}

/** The local stack's COS folder. */
export function createFsReportStore(opts: { dest: string; baseDir: string }): ReportStore {
  const d = destOf(opts.dest);
  const base = resolve(opts.baseDir);
  const root = resolve(base, d.bucketDir);
  return {
    async put(key, body, _contentType) {
      if (checkObjectKey(key)) refuseKey(key);
      const target = resolve(root, ...`${d.prefix}${key}`.split("/"));
      const rel = relative(root, target);
      if (rel === "" || rel.startsWith("..") || isAbsolute(rel) || !target.startsWith(root + sep)) refuseKey(key);
      await mkdir(dirname(target), { recursive: true });
      // Readers never see half a report: write aside, then rename.
      const tmp = `${target}.${process.pid}.${Date.now()}.tmp`;
      await writeFile(tmp, body);
      await rename(tmp, target);
      return { location: `cos://${d.host}/${d.prefix}${key}` };
    },
  };
}

/** COS's URL encoding (encodeURIComponent plus !'()*). */
export const cosEncode = (s: string): string =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const sha1hex = (s: string | Uint8Array) => createHash("sha1").update(s).digest("hex");
const hmacSha1hex = (key: string, s: string) => createHmac("sha1", key).update(s).digest("hex");

function canonicalPairs(obj: Record<string, string>): { list: string; text: string } {
  const entries = Object.entries(obj)
    .map(([k, v]) => [cosEncode(k.toLowerCase()).toLowerCase(), cosEncode(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { list: entries.map(([k]) => k).join(";"), text: entries.map(([k, v]) => `${k}=${v}`).join("&") };
}

export interface CosSignInput {
  secretId: string;
  secretKey: string;
  method: string;
  /** The decoded path, e.g. `/reports/2019-02-20/cost-report.json`. */
  pathname: string;
  query?: Record<string, string>;
  /** Headers to sign (names any case). */
  headers: Record<string, string>;
  /** Validity, unix seconds. */
  start: number;
  end: number;
}

/** The COS XML request signature (q-sign-algorithm=sha1), as the Authorization header value. */
export function signCos(i: CosSignInput): string {
  const keyTime = `${i.start};${i.end}`;
  const signKey = hmacSha1hex(i.secretKey, keyTime);
  const params = canonicalPairs(i.query ?? {});
  const headers = canonicalPairs(i.headers);
  const httpString = `${i.method.toLowerCase()}\n${i.pathname}\n${params.text}\n${headers.text}\n`;
  const stringToSign = `sha1\n${keyTime}\n${sha1hex(httpString)}\n`;
  const signature = hmacSha1hex(signKey, stringToSign);
  return [
    "q-sign-algorithm=sha1",
    `q-ak=${i.secretId}`,
    `q-sign-time=${keyTime}`,
    `q-key-time=${keyTime}`,
    `q-header-list=${headers.list}`,
    `q-url-param-list=${params.list}`,
    `q-signature=${signature}`,
  ].join("&");
}

export interface CosStoreOptions {
  dest: string;
  /** Read per request: SCF role credentials are temporary. */
  credentials: () => StoreCredentials;
  /** e.g. `http://127.0.0.1:9000` for a test server; default https://<bucket>-<appid>.cos.<region>.myqcloud.com. */
  endpoint?: string | undefined;
  now?: () => number;
  timeoutMs?: number;
  attempts?: number;
}

interface PutResult {
  status: number;
  body: string;
  requestId: string | undefined;
}

async function send(url: URL, headers: Record<string, string>, body: Uint8Array, timeoutMs: number): Promise<PutResult> {
  // Loaded on the first upload, not with the module: node:https is ~5 ms of a cold start, and
  // only the scheduled report writes to COS.
  const req = url.protocol === "http:" ? (await import("node:http")).request : (await import("node:https")).request;
  return new Promise((resolveP, reject) => {
    const r = req(url, { method: "PUT", headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolveP({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString("utf8").slice(0, 2000),
          requestId: typeof res.headers["x-cos-request-id"] === "string" ? res.headers["x-cos-request-id"] : undefined,
        }),
      );
      res.on("error", reject);
    });
    r.on("timeout", () => r.destroy(new Error(`COS did not answer within ${timeoutMs} ms`)));
    r.on("error", reject);
    r.end(body);
  });
}

const xmlField = (xml: string, name: string) => new RegExp(`<${name}>([^<]{0,200})</${name}>`).exec(xml)?.[1];

/** The real COS XML API: PUT Object. */
export function createCosReportStore(opts: CosStoreOptions): ReportStore {
  const d = destOf(opts.dest);
  const host = d.host;
  const base = new URL(opts.endpoint ?? `https://${host}`);
  const now = opts.now ?? (() => Date.now());
  const attempts = opts.attempts ?? 3;
  return {
    async put(key, body, contentType) {
      if (checkObjectKey(key)) refuseKey(key);
      const objectKey = `${d.prefix}${key}`;
      const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
      const url = new URL(`/${objectKey.split("/").map(cosEncode).join("/")}`, base);
      let last = "";
      for (let attempt = 1; attempt <= attempts; attempt++) {
        const c = opts.credentials();
        const t = Math.floor(now() / 1000);
        const headers: Record<string, string> = {
          "Content-Length": String(bytes.byteLength),
          "Content-MD5": createHash("md5").update(bytes).digest("base64"),
          "Content-Type": contentType,
          Host: url.host,
        };
        if (c.token) headers["x-cos-security-token"] = c.token;
        const authorization = signCos({
          secretId: c.secretId,
          secretKey: c.secretKey,
          method: "PUT",
          pathname: `/${objectKey}`,
          headers,
          start: t - 60,
          end: t + 600,
        });
        try {
          const res = await send(url, { ...headers, Authorization: authorization }, bytes, opts.timeoutMs ?? 10_000);
          if (res.status >= 200 && res.status < 300) return { location: `cos://${host}/${objectKey}` };
          const code = xmlField(res.body, "Code") ?? "";
          last = `COS answered ${res.status}${code ? ` ${code}` : ""}${res.requestId ? ` (request ${res.requestId})` : ""}`;
          if (res.status < 500 && res.status !== 429) break;
        } catch (e) {
          last = `COS request failed: ${(e as Error).message}`;
        }
        if (attempt < attempts) await new Promise((r) => setTimeout(r, 200 * 2 ** (attempt - 1)));
      }
      throw new AppError("report_store.cos_failed", `writing cos://${host}/${objectKey} failed: ${last}`, { status: 502, expose: false });
    },
  };
}

/** LOCAL_COS_DIR set: the local stack's folder; otherwise the real COS. */
export function createReportStore(opts: {
  dest: string;
  localCosDir?: string | undefined;
  credentials: () => StoreCredentials;
  cosEndpoint?: string | undefined;
}): ReportStore {
  if (opts.localCosDir) return createFsReportStore({ dest: opts.dest, baseDir: opts.localCosDir });
  return createCosReportStore({ dest: opts.dest, credentials: opts.credentials, endpoint: opts.cosEndpoint });
}

/** For tests and tools: where a key of `dest` lands under a local COS folder. */
export function localPathOf(dest: string, baseDir: string, key: string): string {
  const d = destOf(dest);
  return join(resolve(baseDir), d.bucketDir, ...`${d.prefix}${key}`.split("/"));
}
