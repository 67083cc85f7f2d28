import { createHash, createHmac } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { checkObjectKey, createCosReportStore, createFsReportStore } from "../../shared/report-store";

const DEST = "cos://reports-1250000000.cos.ap-guangzhou.myqcloud.com/batch/cost/";
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "report-store-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("the local COS folder", () => {
  it("maps cos://bucket-appid.cos.region.myqcloud.com/prefix/ to <dir>/bucket-appid/prefix/", async () => {
    const dir = tempDir();
    const store = createFsReportStore({ dest: DEST, baseDir: dir });
    const r = await store.put("2019-02-20/cost-report.json", '{"ok":true}', "application/json");
    expect(readFileSync(join(dir, "reports-1250000000", "batch", "cost", "2019-02-20", "cost-report.json"), "utf8")).toBe('{"ok":true}');
    expect(r.location).toBe(`${DEST}2019-02-20/cost-report.json`);
    // No temporary file is left next to the report.
    expect(readdirSync(join(dir, "reports-1250000000", "batch", "cost", "2019-02-20"))).toEqual(["cost-report.json"]);
  });

  it.each([
    ["../escape.json"],
    ["a/../../escape.json"],
    ["/etc/passwd"],
    ["a\\..\\b.json"],
    ["a%2f..%2fb.json"],
    ["a/%2E%2E/b.json"],
    ["a//b.json"],
    ["nul\u0000.json"],
    [""],
  ])("refuses the key %j and writes nothing", async (key) => {
    const dir = tempDir();
    const store = createFsReportStore({ dest: DEST, baseDir: dir });
    await expect(store.put(key, "x", "text/plain")).rejects.toMatchObject({ code: "report_store.bad_key" });
    expect(checkObjectKey(key)).toBeTruthy();
    expect(readdirSync(dir)).toEqual([]);
  });

  it("refuses a destination that breaks the COS path rules", () => {
    expect(() => createFsReportStore({ dest: "cos://reports-1250000000.cos.ap-guangzhou.myqcloud.com/a/../b/", baseDir: tempDir() })).toThrow(/COST_REPORT_DEST/);
    expect(() => createFsReportStore({ dest: "/tmp/reports/", baseDir: tempDir() })).toThrow(/cos:\/\//);
  });
});

// A tiny COS: verifies the documented XML-API signature independently of the code under test.
const SECRET_ID = "AKIDcostest0000000000000000000000";
const SECRET_KEY = "cos-test-secret-key-000000000000";
const TOKEN = "session-token-abc";
interface Received {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: Buffer;
  verdict: string;
}
let server: Server;
let base = "";
const received: Received[] = [];
let failNext = 0;

function verify(req: IncomingMessage, body: Buffer, path: string): string {
  const auth = String(req.headers.authorization ?? "");
  const f = Object.fromEntries(auth.split("&").map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
  if (f["q-sign-algorithm"] !== "sha1") return "algorithm";
  if (f["q-ak"] !== SECRET_ID) return "ak";
  const [start, end] = String(f["q-key-time"]).split(";").map(Number);
  const now = Math.floor(Date.now() / 1000);
  if (!(start! <= now && now <= end!)) return "expired";
  const list = String(f["q-header-list"]).split(";");
  for (const must of ["content-length", "content-md5", "content-type", "host", "x-cos-security-token"]) if (!list.includes(must)) return `unsigned ${must}`;
  if (req.headers["x-cos-security-token"] !== TOKEN) return "token";
  if (req.headers["content-md5"] !== createHash("md5").update(body).digest("base64")) return "md5";
  const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const headerString = list.map((h) => `${h}=${enc(String(req.headers[h] ?? ""))}`).join("&");
  const httpString = `${req.method?.toLowerCase()}\n${path}\n\n${headerString}\n`;
  const keyTime = f["q-key-time"]!;
  const signKey = createHmac("sha1", SECRET_KEY).update(keyTime).digest("hex");
  const sts = `sha1\n${keyTime}\n${createHash("sha1").update(httpString).digest("hex")}\n`;
  return createHmac("sha1", signKey).update(sts).digest("hex") === f["q-signature"] ? "ok" : "signature";
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
      const verdict = verify(req, body, path);
      received.push({ method: req.method ?? "", path, headers: req.headers, body, verdict });
      if (failNext > 0) {
        failNext--;
        res.writeHead(503, { "x-cos-request-id": "req-503" }).end("<Error><Code>ServiceUnavailable</Code></Error>");
        return;
      }
      if (verdict !== "ok") {
        res.writeHead(403, { "x-cos-request-id": "req-403" }).end(`<Error><Code>SignatureDoesNotMatch</Code><Message>${verdict}</Message></Error>`);
        return;
      }
      res.writeHead(200, { "x-cos-request-id": "req-ok", etag: '"x"' }).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
afterEach(() => {
  received.length = 0;
  failNext = 0;
});

describe("the COS adapter", () => {
  const creds = () => ({ secretId: SECRET_ID, secretKey: SECRET_KEY, token: TOKEN });

  it("PUTs the object with a valid COS signature and the session token", async () => {
    const store = createCosReportStore({ dest: DEST, credentials: creds, endpoint: base });
    const body = "day,cost\n2019-02-20,25.92\n";
    const r = await store.put("2019-02-20/cost report (v1).csv", body, "text/csv; charset=utf-8");
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: "PUT", path: "/batch/cost/2019-02-20/cost report (v1).csv", verdict: "ok" });
    expect(received[0]?.body.toString()).toBe(body);
    expect(received[0]?.headers["content-type"]).toBe("text/csv; charset=utf-8");
    expect(r.location).toBe("cos://reports-1250000000.cos.ap-guangzhou.myqcloud.com/batch/cost/2019-02-20/cost report (v1).csv");
  });

  it("is refused by a server that checks the signature when the key is wrong, and says so without the secret", async () => {
    const store = createCosReportStore({ dest: DEST, credentials: () => ({ ...creds(), secretKey: "wrong" }), endpoint: base });
    const err = await store.put("x.json", "{}", "application/json").catch((e: Error) => e);
    expect(received.map((x) => x.verdict)).toEqual(["signature"]);
    expect(String((err as Error).message)).toMatch(/403 SignatureDoesNotMatch/);
    expect(String((err as Error).message)).not.toContain("wrong");
  });

  it("retries a 5xx a bounded number of times", async () => {
    failNext = 1;
    const store = createCosReportStore({ dest: DEST, credentials: creds, endpoint: base });
    await store.put("y.json", "{}", "application/json");
    expect(received).toHaveLength(2);
    failNext = 10;
    await expect(createCosReportStore({ dest: DEST, credentials: creds, endpoint: base, attempts: 2 }).put("z.json", "{}", "application/json")).rejects.toThrow(/503/);
  });

  it("never sends a refused key", async () => {
    const store = createCosReportStore({ dest: DEST, credentials: creds, endpoint: base });
    await expect(store.put("../other-prefix/x.json", "{}", "application/json")).rejects.toMatchObject({ code: "report_store.bad_key" });
    expect(received).toHaveLength(0);
    expect(existsSync(join(tmpdir(), "other-prefix"))).toBe(false);
  });
});
