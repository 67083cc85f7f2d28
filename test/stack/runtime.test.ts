// The stack's runtime with small stand-in bundles: function processes (env, crash, timeout,
// init error), a local Function URL's HTTP ⇄ event mapping, the topic bus's HTTP pushes, async
// retries and the dead-letter file.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FunctionPool } from "../../local/stack/function-pool";
import { createFunctionUrlServer, sendJson } from "../../local/stack/gateway";
import { Invoker } from "../../local/stack/invoker";
import type { FunctionConfig, Trigger } from "../../local/stack/serverless-config";
import { functionEnv } from "../../local/stack/stack";
import { parseCron } from "../../local/stack/cron";
import { DEMO_ENV_NAME, ensureDemoEnv } from "../../local/stack/demo-env";
import { startTimers } from "../../local/stack/timers";
import { createTopicBus } from "../../local/stack/topic-bus";
import { eventually, startTestEmulator } from "../support/emulator";
import { testFunctionConfig } from "../support/function-config";

const dir = mkdtempSync(join(tmpdir(), "stack-runtime-"));
// The repository says "type": "module"; the host must still load the bundle as CommonJS, like SCF.
writeFileSync(join(dir, "package.json"), '{"type":"module"}\n');

const ECHO = `
const fs = require("node:fs");
exports.main_handler = async (event, context) => {
  const body = event.body ? JSON.parse(event.body) : {};
  const mode = body.mode || event.mode || process.env.FORCE_MODE;
  if (mode === "crash") process.exit(3);
  if (mode === "hang") return new Promise(() => {});
  if (mode === "throw") throw new Error("boom");
  if (mode === "bad") return "not a response";
  if (mode === "flaky") {
    const f = process.env.COUNTER_FILE;
    const n = Number(fs.existsSync(f) ? fs.readFileSync(f, "utf8") : "0") + 1;
    fs.writeFileSync(f, String(n));
    if (n < 2) throw new Error("first attempt fails");
  }
  console.log(JSON.stringify({ level: "info", msg: "handled", mode: mode || "echo" }));
  return {
    statusCode: 200,
    isBase64Encoded: false,
    headers: { "Content-Type": "application/json", "X-Custom": "yes" },
    body: JSON.stringify({
      event,
      env: { FROM_YML: process.env.FROM_YML, PARENT_SECRET: process.env.PARENT_SECRET, TRIGGER_SRC: process.env.TRIGGER_SRC, BATCH_ENDPOINT: process.env.BATCH_ENDPOINT, SCF_FUNCTIONNAME: process.env.SCF_FUNCTIONNAME, CMQ_PUSH_TOKEN: process.env.CMQ_PUSH_TOKEN },
      context: { request_id: context.request_id, time_limit_in_ms: context.time_limit_in_ms, remaining: context.getRemainingTimeInMillis() },
    }),
  };
};`;

function bundle(name: string, code: string): string {
  mkdirSync(join(dir, name), { recursive: true });
  const file = join(dir, name, "index.js");
  writeFileSync(file, code);
  return file;
}

const fnConfig = (name: string, entryFile: string, triggers: Trigger[], timeout = 5): FunctionConfig =>
  testFunctionConfig(name, entryFile, { memorySize: 128, timeout, environment: { FROM_YML: "yes", COUNTER_FILE: join(dir, `${name}-counter`) }, triggers });

const echo = fnConfig(
  "echo",
  bundle("echo", ECHO),
  [{ kind: "cmq", name: "events", enabled: true, topic: "events", line: 3 }],
  1,
);
const callback = fnConfig("callback", bundle("callback", `exports.main_handler = (event, context, cb) => { setTimeout(() => cb(null, { got: event.n * 2 }), 5); };`), []);
const broken = fnConfig("broken", bundle("broken", `throw new Error("cannot load: missing config");`), []);
const flaky = fnConfig("flaky", echo.entryFile, [{ kind: "cmq", name: "flaky-events", enabled: true, topic: "flaky", line: 1 }]);
flaky.environment.FORCE_MODE = "flaky";

const PUSH_TOKEN = "local-push-token-0123456789";
const output: string[] = [];
const notes: string[] = [];
const pools = new Map<string, FunctionPool>();
for (const fn of [echo, callback, broken, flaky]) {
  pools.set(
    fn.name,
    new FunctionPool(fn, {
      env: functionEnv(fn, { region: "ap-guangzhou", emulatorUrl: "http://127.0.0.1:1", cred: { secretId: "id", secretKey: "key" }, cosDir: join(dir, "cos"), parent: { ...process.env, PARENT_SECRET: "leak" }, cmqPushToken: PUSH_TOKEN }),
      region: "ap-guangzhou",
      appId: "1250000000",
      uin: "1",
      maxInstances: 2,
      output: (line) => output.push(line),
      note: (line) => notes.push(line),
    }),
  );
}
const deadLetterFile = join(dir, "dead-letter.jsonl");
const invoker = new Invoker(pools, { retries: 2, retryBaseMs: 20, deadLetterFile, log: (l) => notes.push(l) });
const servers: Server[] = [];
const urls: Record<string, string> = {};
let base: string;

beforeAll(async () => {
  for (const fn of [echo, flaky]) {
    const server = createFunctionUrlServer({ fn, invoker, defaultShape: "function-url", log: (l) => notes.push(l), local: async (_q, res) => sendJson(res, 200, { local: fn.name }) });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    servers.push(server);
    urls[fn.name] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  base = urls.echo!;
});
afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
  await invoker.close(100);
  await Promise.all([...pools.values()].map((p) => p.close()));
  rmSync(dir, { recursive: true, force: true });
});

interface EchoEvent {
  requestContext?: unknown;
  pathParameters?: unknown;
  queryString?: unknown;
  headers: Record<string, string>;
  body: string;
  path: string;
}

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

describe("local Function URL → function process", () => {
  it("delivers every path and method unchanged as a Function URL event and returns the integrated response", async () => {
    const res = await fetch(`${base}/items/it-1?verbose&tag=a&tag=b`, { headers: { Authorization: "Bearer abc", "X-Mixed-Case": "v" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-custom")).toBe("yes");
    const requestId = res.headers.get("x-api-requestid");
    const out = (await res.json()) as { event: EchoEvent; env: Record<string, string | undefined>; context: Record<string, number | string> };
    expect(Object.keys(out.event).sort()).toEqual(["body", "headers", "httpMethod", "path", "queryString"]);
    expect(out.event.path).toBe("/items/it-1");
    expect(out.event.queryString).toEqual({ verbose: true, tag: ["a", "b"] });
    expect(out.event.headers).toMatchObject({ authorization: "Bearer abc", "x-mixed-case": "v", "x-scf-remote-addr": "127.0.0.1" });
    expect(out.context).toMatchObject({ request_id: requestId, time_limit_in_ms: 1000 });
    expect(out.context.remaining).toBeGreaterThan(0);
    // The function's environment: serverless.yml + SCF's variables (and, as a topic subscriber,
    // the push token), nothing else of the parent's.
    expect(out.env).toEqual({ FROM_YML: "yes", BATCH_ENDPOINT: "http://127.0.0.1:1", SCF_FUNCTIONNAME: "svc-test-echo", CMQ_PUSH_TOKEN: PUSH_TOKEN });
    expect(output.some((l) => l.includes('"msg":"handled"'))).toBe(true);
    for (const [method, path] of [["DELETE", "/items"], ["PUT", "/anything/at/all"], ["GET", "/"]] as const) {
      const r = await fetch(`${base}${path}`, { method });
      expect(r.status, `${method} ${path}`).toBe(200);
      expect(((await r.json()) as { event: EchoEvent }).event).toMatchObject({ httpMethod: method, path });
    }
    expect(invoker.records({ function: "echo", source: "function-url" }).length).toBeGreaterThanOrEqual(4);
  });

  it("switches to the API Gateway shape on x-local-event-shape: apigw, path and stage from the request", async () => {
    const res = await post("/release/items", { hello: 1 }, { "x-local-event-shape": "apigw" });
    expect(res.status).toBe(200);
    const { event } = (await res.json()) as { event: EchoEvent };
    expect(event.requestContext).toMatchObject({ path: "/items", httpMethod: "POST", stage: "release", requestId: res.headers.get("x-api-requestid") });
    expect(event.path).toBe("/items");
    expect(JSON.parse(event.body)).toEqual({ hello: 1 });
  });

  it("serves the stack's own API under /_local on the function's URL", async () => {
    expect(await (await fetch(`${base}/_local/anything`)).json()).toEqual({ local: "echo" });
  });

  it("answers 502 when the function throws or answers something that is not an integrated response", async () => {
    const thrown = await post("/items", { mode: "throw" });
    expect(thrown.status).toBe(502);
    expect(await thrown.json()).toMatchObject({ errorMessage: "boom" });
    const bad = await post("/items", { mode: "bad" });
    expect(bad.status).toBe(502);
    expect(((await bad.json()) as { errorMessage: string }).errorMessage).toMatch(/Invalid scf response/);
  });

  it("restarts an instance that crashed; the next request is served", async () => {
    const crashed = await post("/items", { mode: "crash" });
    expect(crashed.status).toBe(502);
    expect(((await crashed.json()) as { errorMessage: string }).errorMessage).toMatch(/instance exited \(code 3\)/);
    const next = await eventually(async () => {
      const r = await fetch(`${base}/items/after-crash`);
      return r.status === 200 ? r : undefined;
    }, 5000);
    expect(next.status).toBe(200);
    expect(notes.some((n) => n.includes("instance exited unexpectedly"))).toBe(true);
  });

  it("kills an instance past the function's timeout with 504, and serves the next request", async () => {
    const t0 = Date.now();
    const res = await post("/items", { mode: "hang" });
    expect(res.status).toBe(504);
    expect(((await res.json()) as { errorMessage: string }).errorMessage).toBe("Invoking task timed out after 1 seconds");
    expect(Date.now() - t0).toBeLessThan(3000);
    expect((await fetch(`${base}/items/after-timeout`)).status).toBe(200);
  });
});

describe("invocations", () => {
  it("supports callback-style handlers", async () => {
    const out = await invoker.sync("callback", { n: 21 }, { source: "invoke" });
    expect(out).toMatchObject({ ok: true, value: { got: 42 } });
  });

  it("reports a bundle that fails to load on every invocation", async () => {
    const out = await invoker.sync("broken", {}, { source: "invoke" });
    expect(out).toMatchObject({ ok: false, kind: "init", error: { errorMessage: "cannot load: missing config" } });
  });

  it("sets TRIGGER_SRC=timer on timer invocations only", async () => {
    const timer = await invoker.sync("echo", { Type: "Timer", TriggerName: "t", Time: "2024-01-01T00:00:00Z", Message: "" }, { source: "timer" });
    const plain = await invoker.sync("echo", {}, { source: "invoke" });
    const env = (o: typeof timer) => (o.ok ? JSON.parse((o.value as { body: string }).body).env.TRIGGER_SRC : "failed");
    expect(env(timer)).toBe("timer");
    expect(env(plain)).toBeUndefined();
  });

  const busFor = (fns: FunctionConfig[], urlOf: (fn: string) => string | undefined = (fn) => urls[fn]) =>
    createTopicBus(fns, { invoker, urlOf, token: PUSH_TOKEN, log: (l) => notes.push(l) });

  it("pushes a topic message over HTTP, as a CMQ HTTP subscription does: POST <url>/cmq/<token>, the JSON push body", async () => {
    const got: Array<{ method?: string; url?: string; headers: Record<string, unknown>; body: string }> = [];
    const capture = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        got.push({ method: req.method, url: req.url, headers: req.headers, body });
        res.writeHead(200).end("ok");
      });
    });
    await new Promise<void>((r) => capture.listen(0, "127.0.0.1", () => r()));
    try {
      const bus = busFor([echo], () => `http://127.0.0.1:${(capture.address() as AddressInfo).port}`);
      bus.publish("events", '{"Events":[]}');
      await eventually(() => got.length === 1, 5000);
      expect(got[0]).toMatchObject({ method: "POST", url: `/cmq/${PUSH_TOKEN}`, headers: { "content-type": "text/plain", "x-cmq-message-id": expect.stringMatching(/^\d+$/) } });
      const body = JSON.parse(got[0]!.body) as Record<string, unknown>;
      expect(body).toEqual({ TopicOwner: 1250000000, topicName: "events", subscriptionName: "echo", msgId: got[0]!.headers["x-cmq-message-id"], msgBody: '{"Events":[]}', publishTime: expect.any(Number) });
      expect(Math.abs((body.publishTime as number) - Date.now() / 1000)).toBeLessThan(60);
    } finally {
      capture.close();
    }
  });

  it("delivers through the subscriber's own URL: the function gets a Function URL event, recorded as a cmq delivery", async () => {
    const before = invoker.records({ function: "echo", source: "cmq" }).length;
    busFor([echo, flaky]).publish("events", '{"Events":[]}');
    await eventually(() => invoker.records({ function: "echo", source: "cmq" }).length === before + 1, 5000);
    expect(invoker.records({ function: "echo", source: "cmq" }).at(-1)).toMatchObject({ ok: true, attempt: 1, trigger: "events" });
  });

  it("retries a push that is not answered 200 (1 + 2 attempts), then keeps it in the dead-letter file, the token never written", async () => {
    let calls = 0;
    const refusing = createServer((_req, res) => {
      calls++;
      res.writeHead(503).end("busy");
    });
    await new Promise<void>((r) => refusing.listen(0, "127.0.0.1", () => r()));
    try {
      const bus = busFor([echo], () => `http://127.0.0.1:${(refusing.address() as AddressInfo).port}`);
      bus.publish("events", '{"Events":[]}');
      await eventually(() => notes.some((n) => n.startsWith("dead-letter: echo did not handle cmq message") && n.includes("(HTTP push)")), 5000);
      expect(calls).toBe(3);
      const lines = readFileSync(deadLetterFile, "utf8").trim().split("\n").map((l) => JSON.parse(l));
      expect(lines.at(-1)).toMatchObject({ function: "echo", source: "cmq", trigger: "events", attempts: 3, errors: ["HTTP 503: busy", "HTTP 503: busy", "HTTP 503: busy"], event: { topicName: "events", msgBody: '{"Events":[]}' } });
      expect(readFileSync(deadLetterFile, "utf8")).not.toContain(PUSH_TOKEN);
      expect(notes.join("\n")).not.toContain(PUSH_TOKEN);
    } finally {
      refusing.close();
    }
  });

  it("retries an async invocation like SCF (1 + 2 retries), then keeps it in the dead-letter file", async () => {
    await invoker.async("echo", { mode: "throw" }, { source: "cmq", trigger: "events", what: "cmq message 42 on topic events" });
    const failed = invoker.records({ function: "echo" }).filter((r) => r.error?.includes("boom") && r.source === "cmq");
    expect(failed.map((r) => r.attempt)).toEqual([1, 2, 3]);
    const lines = readFileSync(deadLetterFile, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.at(-1)).toMatchObject({ function: "echo", source: "cmq", what: "cmq message 42 on topic events", attempts: 3, event: { mode: "throw" } });
    expect(notes.some((n) => n.startsWith("dead-letter: echo did not handle cmq message 42"))).toBe(true);
  });

  it("delivers to the subscriber with a retry when the first attempt fails", async () => {
    busFor([flaky]).publish("flaky", '{"Events":[]}');
    // FORCE_MODE=flaky: the function fails on its first call, whatever the event (its URL answers 502).
    await eventually(() => invoker.records({ function: "flaky" }).some((r) => r.ok), 5000);
    expect(invoker.records({ function: "flaky" }).map((r) => [r.attempt, r.ok])).toEqual([
      [1, false],
      [2, true],
    ]);
    expect(existsSync(flaky.environment.COUNTER_FILE!)).toBe(true);
  });

  it("drops a message for a topic nobody subscribes to, and says so", () => {
    const bus = busFor([echo]);
    bus.publish("nobody", "{}");
    expect(notes.at(-1)).toBe("topic nobody: no subscriber, message dropped");
    expect(bus.counts()).toEqual({ nobody: 1 });
  });

  it("fires a timer trigger on its cron with the Timer event, asynchronously", async () => {
    const ticking = { ...echo, name: "echo", triggers: [{ kind: "timer" as const, name: "every-second", enabled: true, cronExpression: "* * * * * * *", cron: parseCron("* * * * * * *"), message: '{"from":"x"}', line: 1 }] };
    const before = invoker.records({ function: "echo", source: "timer" }).length;
    const timers = startTimers([ticking], invoker);
    try {
      expect(timers.list()[0]?.next?.getMilliseconds()).toBe(0);
      await eventually(() => invoker.records({ function: "echo", source: "timer" }).length > before, 3000);
    } finally {
      timers.stop();
    }
    const rec = invoker.records({ function: "echo", source: "timer" }).at(-1);
    expect(rec).toMatchObject({ ok: true, trigger: "every-second" });
  });
});

describe("the demo compute environment", () => {
  it("restarts with another DEMO_ENV_NODES: same env, its desired count set; a fresh env once it is gone", async () => {
    const t = await startTestEmulator();
    const dataDir = mkdtempSync(join(tmpdir(), "stack-demo-"));
    try {
      const first = await ensureDemoEnv({ port: t.port, dataDir, topic: undefined, nodes: 1 });
      const again = await ensureDemoEnv({ port: t.port, dataDir, topic: "batch-node-events", nodes: 2 });
      expect(again.envId).toBe(first.envId);
      expect((await t.port.getEnv(first.envId)).DesiredComputeNodeCount).toBe(2);
      const named = await t.port.listEnvs({ filters: [{ Name: "env-name", Values: [DEMO_ENV_NAME] }] });
      expect(named.items).toHaveLength(1);

      await t.port.deleteEnv(first.envId);
      await eventually(async () => (await t.port.listEnvs({ envIds: [first.envId] })).items.length === 0);
      const fresh = await ensureDemoEnv({ port: t.port, dataDir, topic: undefined, nodes: 0 });
      expect(fresh.envId).not.toBe(first.envId);
      expect((await t.port.getEnv(fresh.envId)).DesiredComputeNodeCount).toBe(0);
    } finally {
      await t.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
