// The stack's runtime with small stand-in bundles: function processes (env, crash, timeout,
// init error), the gateway's HTTP ⇄ event mapping, async retries and the dead-letter file.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FunctionPool } from "../../local/stack/function-pool";
import { createGateway, sendJson } from "../../local/stack/gateway";
import { Invoker } from "../../local/stack/invoker";
import type { FunctionConfig, Trigger } from "../../local/stack/serverless-config";
import { functionEnv } from "../../local/stack/stack";
import { parseCron } from "../../local/stack/cron";
import { DEMO_ENV_NAME, ensureDemoEnv } from "../../local/stack/demo-env";
import { startTimers } from "../../local/stack/timers";
import { createTopicBus } from "../../local/stack/topic-bus";
import { eventually, startTestEmulator } from "../support/emulator";

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
      env: { FROM_YML: process.env.FROM_YML, PARENT_SECRET: process.env.PARENT_SECRET, TRIGGER_SRC: process.env.TRIGGER_SRC, BATCH_ENDPOINT: process.env.BATCH_ENDPOINT, SCF_FUNCTIONNAME: process.env.SCF_FUNCTIONNAME },
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

function fnConfig(name: string, entryFile: string, triggers: Trigger[], timeout = 5): FunctionConfig {
  return {
    name,
    scfName: `svc-test-${name}`,
    handler: "index.main_handler",
    entryFile,
    handlerExport: "main_handler",
    artifact: `${entryFile}.zip`,
    runtime: "Nodejs18.15",
    memorySize: 128,
    timeout,
    environment: { FROM_YML: "yes", COUNTER_FILE: join(dir, `${name}-counter`) },
    triggers,
    line: 1,
  };
}

const echo = fnConfig(
  "echo",
  bundle("echo", ECHO),
  [
    { kind: "apigw", name: "get", enabled: true, method: "GET", path: "/items/{ItemId}", stage: "release", line: 1 },
    { kind: "apigw", name: "post", enabled: true, method: "POST", path: "/items", stage: "release", line: 2 },
    { kind: "cmq", name: "events", enabled: true, topic: "events", line: 3 },
  ],
  1,
);
const callback = fnConfig("callback", bundle("callback", `exports.main_handler = (event, context, cb) => { setTimeout(() => cb(null, { got: event.n * 2 }), 5); };`), []);
const broken = fnConfig("broken", bundle("broken", `throw new Error("cannot load: missing config");`), []);
const flaky = fnConfig("flaky", echo.entryFile, [{ kind: "cmq", name: "flaky-events", enabled: true, topic: "flaky", line: 1 }]);
flaky.environment.FORCE_MODE = "flaky";

const output: string[] = [];
const notes: string[] = [];
const pools = new Map<string, FunctionPool>();
for (const fn of [echo, callback, broken, flaky]) {
  pools.set(
    fn.name,
    new FunctionPool(fn, {
      env: functionEnv(fn, { region: "ap-guangzhou", emulatorUrl: "http://127.0.0.1:1", cred: { secretId: "id", secretKey: "key" }, cosDir: join(dir, "cos"), parent: { ...process.env, PARENT_SECRET: "leak" } }),
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
let server: Server;
let base: string;

beforeAll(async () => {
  server = createGateway({ functions: [echo], invoker, defaultShape: "apigw", log: (l) => notes.push(l), local: async (_q, res) => sendJson(res, 404, {}) });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
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

describe("gateway → function process", () => {
  it("delivers an API Gateway event to the bundle and returns its integrated response", async () => {
    const res = await fetch(`${base}/items/it-1?verbose&tag=a&tag=b`, { headers: { Authorization: "Bearer abc", "X-Mixed-Case": "v" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-custom")).toBe("yes");
    const requestId = res.headers.get("x-api-requestid");
    const out = (await res.json()) as { event: EchoEvent; env: Record<string, string | undefined>; context: Record<string, number | string> };
    expect(out.event.requestContext).toMatchObject({ path: "/items/{ItemId}", httpMethod: "GET", stage: "release", requestId });
    expect(out.event.pathParameters).toEqual({ ItemId: "it-1" });
    expect(out.event.queryString).toEqual({ verbose: true, tag: ["a", "b"] });
    expect(out.event.headers).toMatchObject({ authorization: "Bearer abc", "x-mixed-case": "v" });
    expect(out.context).toMatchObject({ request_id: requestId, time_limit_in_ms: 1000 });
    expect(out.context.remaining).toBeGreaterThan(0);
    // The function's environment: serverless.yml + SCF's variables, nothing else of the parent's.
    expect(out.env).toEqual({ FROM_YML: "yes", BATCH_ENDPOINT: "http://127.0.0.1:1", SCF_FUNCTIONNAME: "svc-test-echo" });
    expect(output.some((l) => l.includes('"msg":"handled"'))).toBe(true);
  });

  it("switches to the Function URL shape on x-local-event-shape", async () => {
    const res = await post("/release/items", { hello: 1 }, { "x-local-event-shape": "function-url" });
    expect(res.status).toBe(200);
    const { event } = (await res.json()) as { event: EchoEvent };
    expect(Object.keys(event).sort()).toEqual(["body", "headers", "httpMethod", "path", "queryString"]);
    expect(event.path).toBe("/items");
    expect(JSON.parse(event.body)).toEqual({ hello: 1 });
    expect(event.headers["x-scf-remote-addr"]).toBe("127.0.0.1");
  });

  it("answers 404 for unrouted paths and methods", async () => {
    expect((await fetch(`${base}/nothing`)).status).toBe(404);
    const res = await fetch(`${base}/items`, { method: "DELETE" });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { message: string }).message).toMatch(/routed methods: POST/);
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

  it("retries a failing async (topic) delivery like SCF (1 + 2 retries), then keeps it in the dead-letter file", async () => {
    const bus = createTopicBus([echo, flaky], invoker, (l) => notes.push(l));
    const before = invoker.records({ function: "echo", source: "cmq" }).length;
    bus.publish("events", '{"Events":[]}');
    await eventually(() => invoker.records({ function: "echo", source: "cmq" }).length === before + 1, 5000);
    expect(invoker.records({ function: "echo", source: "cmq" }).at(-1)).toMatchObject({ ok: true, attempt: 1 });

    await invoker.async("echo", { mode: "throw" }, { source: "cmq", trigger: "events", what: "cmq message 42 on topic events" });
    const failed = invoker.records({ function: "echo" }).filter((r) => r.error?.includes("boom") && r.source === "cmq");
    expect(failed.map((r) => r.attempt)).toEqual([1, 2, 3]);
    const lines = readFileSync(deadLetterFile, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.at(-1)).toMatchObject({ function: "echo", source: "cmq", what: "cmq message 42 on topic events", attempts: 3, event: { mode: "throw" } });
    expect(notes.some((n) => n.startsWith("dead-letter: echo did not handle cmq message 42"))).toBe(true);
  });

  it("delivers to the subscriber with a retry when the first attempt fails", async () => {
    const bus = createTopicBus([flaky], invoker, (l) => notes.push(l));
    bus.publish("flaky", '{"Events":[]}');
    // FORCE_MODE=flaky: the function fails on its first call, whatever the event.
    await eventually(() => invoker.records({ function: "flaky" }).some((r) => r.ok), 5000);
    expect(invoker.records({ function: "flaky" }).map((r) => [r.attempt, r.ok])).toEqual([
      [1, false],
      [2, true],
    ]);
    expect(existsSync(flaky.environment.COUNTER_FILE!)).toBe(true);
  });

  it("drops a message for a topic nobody subscribes to, and says so", () => {
    const bus = createTopicBus([echo], invoker, (l) => notes.push(l));
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
