// The bundles' stand-in for node-fetch (scripts/shims/node-fetch.cjs): what the SDK reads from
// a response, the errors shared/batch/retry.ts classifies, keep-alive, and no hanging process.
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

const SHIM = join(__dirname, "..", "..", "scripts", "shims", "node-fetch.cjs");
type ShimResponse = { status: number; statusText: string; ok: boolean; headers: { get(n: string): string | null }; json(): Promise<unknown>; text(): Promise<string> };
const nodeFetch = createRequire(import.meta.url)(SHIM) as (url: string, o?: Record<string, unknown>) => Promise<ShimResponse>;

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

describe("the node-fetch shim", () => {
  it("sends method, headers (Host included, as the SDK signs it) and body; reads status, headers and JSON", async () => {
    const host = new URL(base).host;
    const body = JSON.stringify({ Job: { JobName: "ünïcode" } });
    const res = await nodeFetch(`${base}/`, { method: "POST", headers: { Host: host, "Content-Type": "application/json", "X-TC-Action": "SubmitJob", Skip: undefined }, body });
    expect(res.status).toBe(200);
    expect(res.ok).toBe(true);
    expect(res.headers.get("X-TC-TraceId")).toBe("trace-1");
    expect(res.headers.get("absent")).toBeNull();
    expect(await res.json()).toEqual({ Response: { RequestId: "r-1", echo: body } });
    const got = seen.at(-1)!;
    expect(got.method).toBe("POST");
    expect(got.headers.host).toBe(host);
    expect(got.headers["x-tc-action"]).toBe("SubmitJob");
    expect(got.headers["content-length"]).toBe(String(Buffer.byteLength(body)));
    expect(got.headers).not.toHaveProperty("skip");
  });

  it("keeps the connection alive between requests", async () => {
    await (await nodeFetch(`${base}/`, { method: "POST", body: "{}" })).text();
    const first = seen.at(-1)!.socket;
    await (await nodeFetch(`${base}/`, { method: "POST", body: "{}" })).text();
    expect(seen.at(-1)!.socket).toBe(first);
  });

  it("does not reuse a socket idle for 4 s by the wall clock (a container thawed after a freeze)", async () => {
    await (await nodeFetch(`${base}/`, { method: "POST", body: "{}" })).text();
    const first = seen.at(-1)!.socket;
    // SCF froze the container: the agent's idle timer never ran, but the clock moved on.
    const now = Date.now();
    const clock = vi.spyOn(Date, "now").mockReturnValue(now + 4500);
    try {
      await (await nodeFetch(`${base}/`, { method: "POST", body: "{}" })).text();
    } finally {
      clock.mockRestore();
    }
    expect(seen.at(-1)!.socket).not.toBe(first);
  });

  it("answers a non-200 with its status and text (the SDK turns it into httpCode)", async () => {
    const res = await nodeFetch(`${base}/502`, { method: "POST", body: "{}" });
    expect(res.status).toBe(502);
    expect(res.ok).toBe(false);
    expect(res.statusText).toBe("Bad Gateway");
    expect(await res.text()).toBe("bad gateway");
  });

  it("refuses a body that is not JSON without quoting it", async () => {
    const res = await nodeFetch(`${base}/garbage`, { method: "POST", body: "{}" });
    const err = await res.json().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/^invalid json response body at http:\/\/127\.0\.0\.1:\d+\/garbage reason: /);
    expect(err?.message).not.toContain("secret-ish");
  });

  it("times out the whole exchange with node-fetch's message, which retry treats as a network failure", async () => {
    const started = Date.now();
    const err = (await nodeFetch(`${base}/slow`, { method: "POST", body: "{}", timeout: 150 }).catch((e: Error) => e)) as Error;
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
    const err = (await nodeFetch(`http://127.0.0.1:${port}/`, { method: "POST", body: "{}" }).catch((e: Error) => e)) as Error;
    expect(err.message).toMatch(new RegExp(`^request to http://127\\.0\\.0\\.1:${port}/ failed, reason: connect ECONNREFUSED`));
    expect(isRetryable(asSdk(err))).toBe(true);
    expect(isRetryableUnapplied(asSdk(err))).toBe(true);
  });

  it("aborts on a signal", async () => {
    const err = (await nodeFetch(`${base}/slow`, { method: "POST", body: "{}", signal: AbortSignal.timeout(100) }).catch((e: Error) => e)) as Error;
    expect(err.name).toBe("AbortError");
    const already = (await nodeFetch(`${base}/`, { signal: AbortSignal.abort() }).catch((e: Error) => e)) as Error;
    expect(already.name).toBe("AbortError");
  });

  it("refuses agents (proxies) and non-HTTP URLs", async () => {
    await expect(nodeFetch(`${base}/`, { agent: {} })).rejects.toThrow(/custom HTTP agents or proxies/);
    await expect(nodeFetch("ftp://example.com/")).rejects.toThrow(/Only HTTP\(S\)/);
    await expect(nodeFetch("not a url")).rejects.toThrow(/absolute URLs/);
  });

  it("does not keep a process alive once the answer is in (idle keep-alive sockets are unref'd)", async () => {
    const code = `require(${JSON.stringify(SHIM)})(${JSON.stringify(`${base}/`)},{method:"POST",body:"{}"}).then(r=>r.json()).then(j=>process.stdout.write(j.Response.RequestId))`;
    const started = Date.now();
    const { stdout } = await promisify(execFile)(process.execPath, ["-e", code], { encoding: "utf8", timeout: 6000 });
    expect(stdout).toBe("r-1");
    // A kept-alive socket that held the process would keep it 4 s past the answer.
    expect(Date.now() - started).toBeLessThan(3500);
  });
});
