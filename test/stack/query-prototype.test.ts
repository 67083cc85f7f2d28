// Through the local gateway (issue 18): `?toString=1`, `?constructor=1`, `?__proto__=x`,
// `?hasOwnProperty=1` reach the function as ordinary parameters, in both event shapes. The jobs
// function is the production code, bundled as `npm run build` bundles it, run in the stack's own
// function processes (JSON over IPC, as SCF hands events over) against the emulator; a stand-in
// bundle shows the event the function gets.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FunctionPool } from "../../local/stack/function-pool";
import { createFunctionUrlServer, sendJson } from "../../local/stack/gateway";
import { Invoker } from "../../local/stack/invoker";
import type { FunctionConfig } from "../../local/stack/serverless-config";
import { functionEnv } from "../../local/stack/stack";
import { bundle, ROOT } from "../../scripts/bundle";
import { startTestEmulator, TEST_SECRET_ID, TEST_SECRET_KEY, type TestEmulator } from "../support/emulator";
import { testFunctionConfig } from "../support/function-config";

const KEY = "reader-key-0123456789abcdef";
const NAMES = ["toString", "constructor", "__proto__", "hasOwnProperty", "valueOf"] as const;
const SHAPES = ["function-url", "apigw"] as const;

const ECHO = `exports.main_handler = async (event) => {
  const q = event.queryString;
  return { statusCode: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({
    keys: Object.keys(q), prototypeIsObject: Object.getPrototypeOf(q) === Object.prototype,
    values: Object.keys(q).map((k) => [k, Object.getOwnPropertyDescriptor(q, k).value]),
    parameters: event.queryStringParameters === undefined ? null : Object.keys(event.queryStringParameters),
  }) };
};`;

const dir = mkdtempSync(join(tmpdir(), "stack-query-"));
let t: TestEmulator;
const pools = new Map<string, FunctionPool>();
let invoker: Invoker;
const servers: Server[] = [];
const urls: Record<string, string> = {};
const output: string[] = [];

const fnConfig = (name: string, entryFile: string): FunctionConfig =>
  testFunctionConfig(name, entryFile, {
    environment: { API_KEYS: `reader:${KEY}:jobs:read`, LOG_LEVEL: "warn", BATCH_RATES: JSON.stringify({ DescribeJobs: 1000 }) },
  });

beforeAll(async () => {
  t = await startTestEmulator({ exec: false });
  const jobs = await bundle(join(ROOT, "functions", "jobs", "index.ts"), join(dir, "jobs", "index.js"));
  mkdirSync(join(dir, "echo"), { recursive: true });
  writeFileSync(join(dir, "echo", "index.js"), ECHO);
  for (const fn of [fnConfig("jobs", jobs.file), fnConfig("echo", join(dir, "echo", "index.js"))]) {
    const env = functionEnv(fn, {
      region: "ap-guangzhou",
      emulatorUrl: t.emu.url,
      cred: { secretId: TEST_SECRET_ID, secretKey: TEST_SECRET_KEY },
      cosDir: join(dir, "cos"),
      parent: process.env,
    });
    pools.set(fn.name, new FunctionPool(fn, { env, region: "ap-guangzhou", appId: "1250000000", uin: "1", maxInstances: 2, output: (l) => output.push(l), note: (l) => output.push(l) }));
  }
  invoker = new Invoker(pools, { retries: 0, retryBaseMs: 10, deadLetterFile: join(dir, "dead-letter.jsonl"), log: (l) => output.push(l) });
  for (const name of ["jobs", "echo"]) {
    const fn = fnConfig(name, "");
    const server = createFunctionUrlServer({ fn, invoker, defaultShape: "function-url", log: (l) => output.push(l), local: async (_q, res) => sendJson(res, 404, {}) });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    servers.push(server);
    urls[name] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
}, 60_000);

afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
  await invoker?.close(100);
  await Promise.all([...pools.values()].map((p) => p.close()));
  await t?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const get = async (fn: string, pathAndQuery: string, shape: (typeof SHAPES)[number]) => {
  const res = await fetch(`${urls[fn]}${pathAndQuery}`, { headers: { authorization: `Bearer ${KEY}`, "x-local-event-shape": shape } });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};

describe.each(SHAPES)("through the local gateway, %s event", (shape) => {
  it.each(NAMES)("GET /jobs?%s=1: 200 from the jobs function, never 400 bad_event", async (name) => {
    for (const q of [`${name}=1`, `${name}=1&${name}=2`, name, `limit=3&${name}=x`]) {
      const r = await get("jobs", `/jobs?${q}`, shape);
      expect({ q, status: r.status, code: r.json.code }).toEqual({ q, status: 200, code: undefined });
      expect(r.json).toMatchObject({ Jobs: [], TotalCount: 0 });
    }
    // The parameters the route knows are still read beside it.
    expect((await get("jobs", `/jobs?${name}=1&limit=3`, shape)).json).toMatchObject({ Limit: 3 });
  }, 30_000);

  it("hands the function every parameter as an own member, `__proto__` included, repeats as arrays", async () => {
    const r = await get("echo", "/anything?toString=1&constructor=1&__proto__=x&__proto__=y&hasOwnProperty&a=1", shape);
    expect(r.status).toBe(200);
    expect(r.json.keys).toEqual(["toString", "constructor", "__proto__", "hasOwnProperty", "a"]);
    expect(r.json.values).toEqual([
      ["toString", "1"],
      ["constructor", "1"],
      ["__proto__", ["x", "y"]],
      ["hasOwnProperty", true],
      ["a", "1"],
    ]);
    // After JSON (the IPC and SCF alike) the function's own parse gives a plain object.
    expect(r.json.prototypeIsObject).toBe(true);
    expect(r.json.parameters).toEqual(shape === "apigw" ? ["toString", "constructor", "__proto__", "hasOwnProperty", "a"] : null);
  });
});
