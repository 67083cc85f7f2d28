// The bundled Batch client's HTTP transport (`post` in scripts/shims/abstract-client.cjs, where
// the SDK uses node-fetch): what the client reads from an answer, the errors shared/batch/retry.ts
// classifies, keep-alive, and no hanging process.
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import SdkError from "tencentcloud-sdk-nodejs/tencentcloud/common/exception/tencent_cloud_sdk_exception";
import { isRetryable, isRetryableUnapplied } from "../../shared/batch/retry";

// The SDK rethrows a transport failure as its own exception carrying only the message.
const asSdk = (e: Error) => new SdkError(e.message, "", "trace");

const SHIM = join(__dirname, "..", "..", "scripts", "shims", "abstract-client.cjs");
type Answer = { url: string; status: number; statusText: string; headers: Record<string, string | string[] | undefined>; body: Buffer };
const { post, AbstractClient } = createRequire(import.meta.url)(SHIM) as {
  post: (url: string, o?: Record<string, unknown>) => Promise<Answer>;
  AbstractClient: new (endpoint: string, version: string, config: Record<string, unknown>) => { parseResponse(res: Answer): Promise<unknown> };
};
const text = (a: Answer) => a.body.toString("utf8");

let server: Server;
let base: string;
const seen: Array<{ method?: string; headers: IncomingMessage["headers"]; body: string; socket: number }> = [];
const sockets = new WeakMap<object, number>();
let socketSeq = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (!sockets.has(req.socket)) sockets.set(req.socket, ++socketSeq);
    const socket = sockets.get(req.socket)!;
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      seen.push({ method: req.method, headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), socket });
      if (req.url === "/slow") return void setTimeout(() => res.end("{}"), 2000);
      if (req.url === "/garbage") return void res.end("<html>secret-ish</html>");
      if (req.url === "/502") {
        res.statusCode = 502;
        return void res.end("bad gateway");
      }
      res.setHeader("content-type", "application/json");
      res.setHeader("x-tc-traceid", "trace-1");
      res.end(JSON.stringify({ Response: { RequestId: "r-1", echo: Buffer.concat(chunks).toString("utf8") } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe("the bundled client's transport", () => {
  it("sends POST, headers (Host included, as the SDK signs it) and body; answers status, headers and body", async () => {
    const host = new URL(base).host;
    const body = JSON.stringify({ Job: { JobName: "ünïcode" } });
    const res = await post(`${base}/`, { headers: { Host: host, "Content-Type": "application/json", "X-TC-Action": "SubmitJob", "X-TC-Timestamp": 1700000000, Skip: undefined, Gone: null }, body });
    expect(res.status).toBe(200);
    expect(res.headers["x-tc-traceid"]).toBe("trace-1");
    expect(JSON.parse(text(res))).toEqual({ Response: { RequestId: "r-1", echo: body } });
    const got = seen.at(-1)!;
    expect(got.method).toBe("POST");
    expect(got.headers.host).toBe(host);
    expect(got.headers["x-tc-action"]).toBe("SubmitJob");
    expect(got.headers["x-tc-timestamp"]).toBe("1700000000");
    expect(got.headers["content-length"]).toBe(String(Buffer.byteLength(body)));
    expect(got.headers).not.toHaveProperty("skip");
    expect(got.headers).not.toHaveProperty("gone");
  });

  it("keeps the connection alive between requests", async () => {
    await post(`${base}/`, { body: "{}" });
    const first = seen.at(-1)!.socket;
    await post(`${base}/`, { body: "{}" });
    expect(seen.at(-1)!.socket).toBe(first);
  });

  it("does not reuse a socket idle for 4 s by the wall clock (a container thawed after a freeze)", async () => {
    await post(`${base}/`, { body: "{}" });
    const first = seen.at(-1)!.socket;
    // SCF froze the container: the agent's idle timer never ran, but the clock moved on.
    const now = Date.now();
    const clock = vi.spyOn(Date, "now").mockReturnValue(now + 4500);
    try {
      await post(`${base}/`, { body: "{}" });
    } finally {
      clock.mockRestore();
    }
    expect(seen.at(-1)!.socket).not.toBe(first);
  });

  it("answers a non-200 with its status and text (the client turns it into httpCode)", async () => {
    const res = await post(`${base}/502`, { body: "{}" });
    expect(res.status).toBe(502);
    expect(res.statusText).toBe("Bad Gateway");
    expect(text(res)).toBe("bad gateway");
  });

  it("refuses a body that is not JSON without quoting it (node-fetch's message)", async () => {
    const res = await post(`${base}/garbage`, { body: "{}" });
    const client = new AbstractClient("batch.tencentcloudapi.com", "2017-03-12", { credential: {} });
    const err = (await client.parseResponse(res).catch((e: Error) => e)) as Error;
    expect(err.message).toMatch(/^invalid json response body at http:\/\/127\.0\.0\.1:\d+\/garbage reason: /);
    expect(err.message).not.toContain("secret-ish");
  });

  it("times out the whole exchange with node-fetch's message, which retry treats as a network failure", async () => {
    const started = Date.now();
    const err = (await post(`${base}/slow`, { body: "{}", timeout: 150 }).catch((e: Error) => e)) as Error;
    expect(Date.now() - started).toBeLessThan(1500);
    expect(err.message).toBe(`network timeout at: ${base}/slow`);
    expect(isRetryable(asSdk(err))).toBe(true);
    expect(isRetryableUnapplied(asSdk(err))).toBe(false);
  });

  it("reports a refused connection so that even not-safe-to-repeat actions may retry it", async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const err = (await post(`http://127.0.0.1:${port}/`, { body: "{}" }).catch((e: Error) => e)) as Error;
    expect(err.message).toMatch(new RegExp(`^request to http://127\\.0\\.0\\.1:${port}/ failed, reason: connect ECONNREFUSED`));
    expect(isRetryable(asSdk(err))).toBe(true);
    expect(isRetryableUnapplied(asSdk(err))).toBe(true);
  });

  it("aborts on a signal", async () => {
    const err = (await post(`${base}/slow`, { body: "{}", signal: AbortSignal.timeout(100) }).catch((e: Error) => e)) as Error;
    expect(err.name).toBe("AbortError");
    const already = (await post(`${base}/`, { signal: AbortSignal.abort() }).catch((e: Error) => e)) as Error;
    expect(already.name).toBe("AbortError");
  });

  it("refuses non-HTTP URLs", async () => {
    await expect(post("ftp://example.com/")).rejects.toThrow(/Only HTTP\(S\)/);
    await expect(post("not a url")).rejects.toThrow(/absolute URLs/);
  });

  it("does not keep a process alive once the answer is in (idle keep-alive sockets are unref'd)", async () => {
    const code = `require(${JSON.stringify(SHIM)}).post(${JSON.stringify(`${base}/`)},{body:"{}"}).then(r=>process.stdout.write(JSON.parse(r.body).Response.RequestId))`;
    const started = Date.now();
    const { stdout } = await promisify(execFile)(process.execPath, ["-e", code], { encoding: "utf8", timeout: 6000 });
    expect(stdout).toBe("r-1");
    // A kept-alive socket that held the process would keep it 4 s past the answer.
    expect(Date.now() - started).toBeLessThan(3500);
  });

  it("loads node:https only for an https endpoint", async () => {
    const code = `require(${JSON.stringify(SHIM)}).post(${JSON.stringify(`${base}/`)},{body:"{}"}).then(()=>{const loaded=(n)=>process.moduleLoadList.some(m=>m==="NativeModule "+n);process.stdout.write(loaded("http")+","+loaded("https"))})`;
    const { stdout } = await promisify(execFile)(process.execPath, ["-e", code], { encoding: "utf8", timeout: 6000 });
    // http is loaded (so the check reads Node's list as it is written), https is not.
    expect(stdout).toBe("true,false");
  });
});
