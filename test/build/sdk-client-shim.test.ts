// The bundles' stand-in for the SDK's common client (scripts/shims/abstract-client.cjs) and the
// compacted service client (scripts/bundle.ts compactServiceClient) against the SDK itself: for
// the same calls, the same request on the wire (what the SDK writes: path, body, X-TC-* headers,
// Content-Type, Host, the TC3 signature) and the same results and errors. The transport's own
// headers (Connection, Content-Length, …) are Node's, and the transport is tested in transport.test.ts.
import { createServer, type IncomingMessage, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { Client as SdkClient } from "tencentcloud-sdk-nodejs/tencentcloud/services/batch/v20170312/batch_client";
import { compactServiceClient } from "../../scripts/bundle";
import { sdkClient } from "../../shared/batch/tencent-adapter";

const require = createRequire(import.meta.url);
const ROOT = join(__dirname, "..", "..");
const SDK_BATCH = require.resolve("tencentcloud-sdk-nodejs/tencentcloud/services/batch/v20170312/batch_client");

/** The batch client as the bundles carry it: the compacted class over the shimmed common client. */
function bundledClientClass(): typeof SdkClient {
  const source = compactServiceClient(readFileSync(SDK_BATCH, "utf8"));
  if (!source) throw new Error("the SDK's batch client no longer has the shape compactServiceClient expects");
  const shim = require(join(ROOT, "scripts", "shims", "abstract-client.cjs"));
  const module = { exports: {} as { Client: typeof SdkClient } };
  new Function("require", "exports", "module", source)(() => shim, module.exports, module);
  return module.exports.Client;
}
const ShimClient = bundledClientClass();

type Seen = { method?: string; url?: string; headers: IncomingMessage["headers"]; body: string };
const seen: Seen[] = [];
let server: Server;
let endpoint: string;
let answer: (req: Seen) => { status?: number; body: string; headers?: Record<string, string> } = () => ({ body: "{}" });

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const s = { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      seen.push(s);
      const a = answer(s);
      res.writeHead(a.status ?? 200, { "content-type": "application/json", "x-tc-traceid": String(req.headers["x-tc-traceid"] ?? ""), ...a.headers });
      res.end(a.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  endpoint = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
// Both sign with the clock: one fixed instant (only Date is faked; sockets and timers are real).
beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"], now: new Date("2026-03-02T23:59:59.700Z") });
});
afterEach(() => {
  vi.useRealTimers();
  answer = () => ({ body: "{}" });
});

const SDK_HEADERS = ["host", "content-type", "authorization", "x-tc-action", "x-tc-region", "x-tc-timestamp", "x-tc-version", "x-tc-token", "x-tc-requestclient", "x-tc-traceid", "x-tc-language"];
const wire = (s: Seen) => ({ method: s.method, url: s.url, body: s.body, headers: Object.fromEntries(SDK_HEADERS.map((h) => [h, s.headers[h]])) });

type Config = ConstructorParameters<typeof SdkClient>[0];
const config = (over: Partial<Config> = {}): Config => ({
  credential: { secretId: "AKIDexample", secretKey: "secret-example" },
  region: "ap-guangzhou",
  profile: { httpProfile: { endpoint, protocol: "http://", reqTimeout: 5, headers: { "X-TC-TraceId": "trace-fixed" } } },
  ...over,
});

/** One call through each client: what each sent, and what each answered or threw. */
async function both(call: (c: SdkClient) => Promise<unknown>, cfg: Config = config()) {
  const out = [];
  for (const C of [SdkClient, ShimClient]) {
    const before = seen.length;
    const result = await call(new C(cfg)).then(
      (value) => ({ value }),
      (e: Error & Record<string, unknown>) => ({ error: { ...e, message: e.message, name: e.name, string: String(e) } }),
    );
    out.push({ sent: seen.slice(before).map(wire), result });
  }
  return { sdk: out[0]!, shim: out[1]! };
}

const SUBMIT = {
  Placement: { Zone: "ap-guangzhou-3", ProjectId: 0 },
  Job: {
    JobName: "ünïcode — job",
    Priority: 1,
    Tasks: [{ TaskName: "t", TaskInstanceNum: 2, Application: { Command: "echo hi", DeliveryForm: "LOCAL" }, EnvId: null, RedirectInfo: null }],
    Tags: [{ Key: "k", Value: "v" }, null],
    Dependences: [],
    Notifications: undefined,
  },
  ClientToken: "token-1",
};

describe("the bundled SDK client, against the SDK's", () => {
  it("sends the same request: path, body (null members dropped), SDK headers and TC3 signature", async () => {
    answer = () => ({ body: JSON.stringify({ Response: { JobId: "job-12345678", RequestId: "r-1" } }) });
    const r = await both((c) => c.SubmitJob(SUBMIT as never));
    expect(r.sdk.sent).toHaveLength(1);
    expect(r.shim).toEqual(r.sdk);
    expect(r.shim.result).toEqual({ value: { JobId: "job-12345678", RequestId: "r-1" } });
    expect(r.shim.sent[0]!.headers.authorization).toMatch(/^TC3-HMAC-SHA256 Credential=AKIDexample\/2026-03-02\/127\/tc3_request, SignedHeaders=content-type;host, Signature=[0-9a-f]{64}$/);
  });

  it("sends a session token, and leaves out the region when there is none", async () => {
    const withToken = await both((c) => c.DescribeComputeEnvs({}), config({ credential: { secretId: "a", secretKey: "b", token: "tok" } }));
    expect(withToken.shim).toEqual(withToken.sdk);
    expect(withToken.shim.sent[0]!.headers["x-tc-token"]).toBe("tok");
    const noRegion = await both((c) => c.DescribeComputeEnvs({}), config({ region: undefined }));
    expect(noRegion.shim).toEqual(noRegion.sdk);
    expect(noRegion.shim.sent[0]!.headers["x-tc-region"]).toBeUndefined();
  });

  it("asks a credential callback on every request, and answers the callback style too", async () => {
    answer = () => ({ body: JSON.stringify({ Response: { RequestId: "r-3" } }) });
    let asked = 0;
    const credential = {
      getCredential: async () => {
        asked++;
        return { secretId: "id", secretKey: "key" };
      },
    };
    const seenByCb: unknown[] = [];
    const r = await both(
      (c) =>
        c.DescribeJob({ JobId: "job-1" }, (err, data) => {
          seenByCb.push(err, data);
        }),
      config({ credential }),
    );
    expect(r.shim).toEqual(r.sdk);
    expect(asked).toBe(2);
    expect(seenByCb).toEqual([null, { RequestId: "r-3" }, null, { RequestId: "r-3" }]);
  });

  it("makes a trace id of its own when none is given", async () => {
    const r = await both((c) => c.DescribeJobs({}), config({ profile: { httpProfile: { endpoint, protocol: "http://", reqTimeout: 5 } } }));
    for (const side of [r.sdk, r.shim]) expect(side.sent[0]!.headers["x-tc-traceid"]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const { "x-tc-traceid": _a, authorization: _b, ...sdkRest } = r.sdk.sent[0]!.headers;
    const { "x-tc-traceid": _c, authorization: _d, ...shimRest } = r.shim.sent[0]!.headers;
    expect(shimRest).toEqual(sdkRest);
  });

  it("throws Tencent's error the same way: code, message, RequestId, trace id", async () => {
    answer = () => ({ body: JSON.stringify({ Response: { Error: { Code: "ResourceNotFound.Job", Message: "no such job" }, RequestId: "r-2" } }) });
    const r = await both((c) => c.DescribeJob({ JobId: "job-1" }));
    expect(r.shim.result).toEqual(r.sdk.result);
    expect(r.shim.result).toMatchObject({ error: { code: "ResourceNotFound.Job", requestId: "r-2", traceId: "trace-fixed", message: "no such job" } });
  });

  it("throws an HTTP status without a Tencent answer the same way (httpCode)", async () => {
    answer = () => ({ status: 502, body: "bad gateway" });
    const r = await both((c) => c.DescribeJob({ JobId: "job-1" }));
    expect(r.shim.result).toEqual(r.sdk.result);
    expect(r.shim.result).toMatchObject({ error: { httpCode: 502, message: "Bad Gateway", requestId: "" } });
  });

  it("wraps a refused connection the same way (the message names the endpoint; no code)", async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const closed = `127.0.0.1:${(probe.address() as AddressInfo).port}`;
    await new Promise((r) => probe.close(r));
    const cfg = config({ profile: { httpProfile: { endpoint: closed, protocol: "http://", reqTimeout: 5, headers: { "X-TC-TraceId": "trace-fixed" } } } });
    const r = await both((c) => c.DescribeJob({ JobId: "job-1" }), cfg);
    expect(r.shim.result).toEqual(r.sdk.result);
    expect(r.shim.result).toMatchObject({ error: { traceId: "trace-fixed", requestId: "" } });
    expect((r.shim.result as { error: { message: string } }).error.message).toMatch(/failed, reason: connect ECONNREFUSED/);
  });

  it("the adapter's client (request on the common client, no generated class) sends what the SDK's batch client sends", async () => {
    answer = () => ({ body: JSON.stringify({ Response: { JobId: "job-12345678", RequestId: "r-1" } }) });
    const credentials = () => ({ secretId: "AKIDexample", secretKey: "secret-example" });
    const sdk = await new SdkClient(config({ credential: credentials(), profile: { httpProfile: { endpoint, protocol: "http://", reqTimeout: 5 } } })).SubmitJob(SUBMIT as never);
    const fromSdk = wire(seen.at(-1)!);
    const ours = await sdkClient({ region: "ap-guangzhou", credentials, endpoint: `http://${endpoint}`, timeoutSeconds: 5 }).request("SubmitJob", SUBMIT);
    const fromOurs = wire(seen.at(-1)!);
    expect(ours).toEqual(sdk);
    expect({ ...fromOurs.headers, "x-tc-traceid": "" }).toEqual({ ...fromSdk.headers, "x-tc-traceid": "" });
    expect({ ...fromOurs, headers: undefined }).toEqual({ ...fromSdk, headers: undefined });
    expect(fromOurs.headers["x-tc-version"]).toBe("2017-03-12");
    // Without BATCH_ENDPOINT: Batch's own endpoint (and so the signature's service), as the SDK's batch client has it.
    type Target = { endpoint: string; apiVersion: string };
    const { endpoint: e1, apiVersion: v1 } = sdkClient({ region: "ap-guangzhou", credentials }) as unknown as Target;
    const { endpoint: e2, apiVersion: v2 } = new SdkClient({ credential: credentials(), region: "ap-guangzhou" }) as unknown as Target;
    expect({ e1, v1 }).toEqual({ e1: e2, v1: v2 });
  });

  it("refuses an unknown language as the SDK does", () => {
    const cfg = config({ profile: { language: "fr-FR" as never } });
    expect(() => new ShimClient(cfg)).toThrow("Language invalid, choices: zh-CN|en-US");
    expect(() => new SdkClient(cfg)).toThrow("Language invalid, choices: zh-CN|en-US");
  });

  it("has every action of the SDK's batch client", () => {
    const actions = (C: typeof SdkClient) => Object.getOwnPropertyNames(C.prototype).filter((n) => n !== "constructor").sort();
    expect(actions(ShimClient)).toEqual(actions(SdkClient));
    expect(actions(ShimClient).length).toBeGreaterThan(20);
  });

  it("refuses what the bundle does not carry, loudly", async () => {
    const oldSign = await new ShimClient(config({ profile: { signMethod: "HmacSHA256", httpProfile: { endpoint, protocol: "http://" } } }))
      .DescribeJobs({})
      .catch((e: Error) => e);
    expect(String((oldSign as Error).message)).toMatch(/not supported by the bundled Batch client/);
    const proxied = await new ShimClient(config({ profile: { httpProfile: { endpoint, protocol: "http://", proxy: "http://127.0.0.1:3128" } } }))
      .DescribeJobs({})
      .catch((e: Error & { traceId?: string }) => e);
    expect(proxied).toMatchObject({ message: "http_proxy is set, but the bundled Batch client does not support proxies", requestId: "" });
    const agent = await new ShimClient(config({ profile: { httpProfile: { endpoint, protocol: "http://", agent: {} as never } } }))
      .DescribeJobs({})
      .catch((e: Error & { traceId?: string }) => e);
    expect(agent).toMatchObject({ message: "the bundled Batch client does not support custom HTTP agents or proxies", requestId: "" });
    const sse = await (async () => {
      answer = () => ({ body: "data: {}\n\n", headers: { "content-type": "text/event-stream" } });
      return new ShimClient(config()).DescribeJobs({}).catch((e: Error) => e);
    })();
    expect(String((sse as Error).message)).toMatch(/server-sent events are not supported by the bundled Batch client/);
  });
});
