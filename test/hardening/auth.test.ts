// Auth matrix over every endpoint of jobs and envs (taken from each function's OpenAPI document,
// so a new route is covered without touching this file), in both event shapes: no key, wrong
// key, malformed Authorization → 401; a key without the route's scope → 403; no usable API_KEYS
// → 503 for everything (fail closed). Batch is never called for a refused request.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { priceTableFromEnv } from "../../shared/prices";
import { fromEnv as envsDepsFromEnv, makeHandler as makeEnvsHandler } from "../../functions/envs/entry";
import { fromEnv as jobsDepsFromEnv, makeHandler as makeJobsHandler } from "../../functions/jobs/entry";

const jobsFromEnv = (env: NodeJS.ProcessEnv, logger: Logger) => makeJobsHandler(jobsDepsFromEnv(env, logger));
const envsFromEnv = (env: NodeJS.ProcessEnv, logger: Logger) => makeEnvsHandler(envsDepsFromEnv(env, logger));
import { emulatorOptionsFromEnv } from "../../local/emulator/options";
import { EnvPolicySchema } from "../../shared/env-policy";
import { type MainHandler, parseApiKeys } from "../../shared/http";
import { type Logger, memoryLogger } from "../../shared/log";
import { startTestEmulator, TEST_SECRET_ID, TEST_SECRET_KEY, type TestEmulator } from "../support/emulator";
import { EVENT_SHAPES, type EventShape, expectWellFormed, httpEvent } from "../support/fuzz";
import { emulatorRoute, fastPort } from "./support";

const KEY = {
  all: "auth-all-scopes-key-0123456789",
  jobsRead: "auth-jobs-read-key-0123456789",
  jobsWrite: "auth-jobs-write-key-012345678",
  envsRead: "auth-envs-read-key-0123456789",
  envsAll: "auth-envs-star-key-0123456789",
  star: "auth-star-scope-key-012345678",
};
const API_KEYS = [
  `all:${KEY.all}`,
  `jobs-reader:${KEY.jobsRead}:jobs:read`,
  `jobs-writer:${KEY.jobsWrite}:jobs:write`,
  `envs-reader:${KEY.envsRead}:envs:read`,
  `envs-admin:${KEY.envsAll}:envs:*`,
  `star:${KEY.star}:*`,
].join(",");

let t: TestEmulator;
const baseEnv = () => ({
  TENCENTCLOUD_REGION: "ap-guangzhou",
  TENCENTCLOUD_SECRETID: TEST_SECRET_ID,
  TENCENTCLOUD_SECRETKEY: TEST_SECRET_KEY,
  BATCH_ENDPOINT: t.emu.url,
});
/** The function as SCF builds it, from the environment (API_KEYS included). */
const fromEnv = (fn: "jobs" | "envs", apiKeys: string | undefined) => {
  const env: NodeJS.ProcessEnv = { ...baseEnv(), ...(apiKeys === undefined ? {} : { API_KEYS: apiKeys }) };
  return fn === "jobs" ? jobsFromEnv(env, memoryLogger()) : envsFromEnv(env, memoryLogger());
};
/** The same function over a Batch port without the client-side rate limiter (requests that pass auth reach Batch fast). */
const build = (fn: "jobs" | "envs", apiKeys: string) => {
  const keys = parseApiKeys(apiKeys);
  const logger = memoryLogger();
  const port = fastPort(t);
  return fn === "jobs"
    ? makeJobsHandler({ batch: port, region: "ap-guangzhou", keys, logger })
    : makeEnvsHandler({ port, policy: EnvPolicySchema.parse({}), prices: priceTableFromEnv(undefined), region: "ap-guangzhou", keys, logger });
};

interface Op {
  method: string;
  path: string;
  scope: string | undefined;
}
const ops: Record<"jobs" | "envs", Op[]> = { jobs: [], envs: [] };

async function operations(handler: MainHandler, docPath: string): Promise<Op[]> {
  const res = await handler(httpEvent("function-url", { method: "GET", path: docPath, headers: { authorization: `Bearer ${KEY.all}` } }));
  expect(res.statusCode).toBe(200);
  const doc = JSON.parse(res.body) as { paths: Record<string, Record<string, { "x-scope"?: string }>> };
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ method: method.toUpperCase(), path: path.replace("{JobId}", "job-aaaaaaaa").replace("{EnvId}", "env-aaaaaaaa"), scope: op["x-scope"] })),
  );
}

beforeAll(async () => {
  t = await startTestEmulator({ exec: false });
  ops.jobs = await operations(fromEnv("jobs", API_KEYS), "/openapi.json");
  ops.envs = await operations(fromEnv("envs", API_KEYS), "/openapi/envs.json");
});
afterAll(() => t?.stop());

const call = (h: MainHandler, shape: EventShape, op: Op, authorization: string | undefined) =>
  h(
    httpEvent(shape, {
      method: op.method,
      path: op.path,
      headers: { "content-type": "application/json", ...(authorization === undefined ? {} : { authorization }) },
      body: op.method === "POST" ? "{}" : "",
    }),
  );

const batchCalls = async () => Object.values(await emulatorRoute<Record<string, number>>(t, "GET", "/counters")).reduce((a, b) => a + b, 0);

describe.each(["jobs", "envs"] as const)("the %s function", (fn) => {
  it("documents a scope on every operation except its OpenAPI document", () => {
    expect(ops[fn].length).toBeGreaterThanOrEqual(6);
    // GET /webhooks/secret takes any jobs scope (test/job-notify/secrets.test.ts), checked by its handler.
    for (const op of ops[fn]) if (!op.path.includes("openapi") && op.path !== "/webhooks/secret") expect(op.scope, `${op.method} ${op.path}`).toMatch(new RegExp(`^${fn}:(read|write)$`));
  });

  it("answers 401 without a usable key, on every operation and both event shapes, and calls Batch for none", async () => {
    const h = fromEnv(fn, API_KEYS);
    await emulatorRoute(t, "DELETE", "/counters");
    const refused = [undefined, "", "Bearer", "Bearer ", `Basic ${KEY.all}`, `Bearer ${KEY.all}x`, `Bearer ${KEY.all.slice(0, -1)}`, "Bearer auth-unknown-key-0123456789", `Token ${KEY.all}`, `Bearer ${KEY.all} ${KEY.all}`];
    for (const op of ops[fn])
      for (const shape of EVENT_SHAPES)
        for (const authorization of refused) {
          const res = await call(h, shape, op, authorization);
          const { json } = expectWellFormed(res, `${shape} ${op.method} ${op.path} auth=${JSON.stringify(authorization)}`);
          expect(res.statusCode, `${op.method} ${op.path} ${authorization}`).toBe(401);
          expect(json.code).toBe("unauthorized");
          expect(res.headers["www-authenticate"]).toMatch(/^Bearer realm=/);
          // The refusal never echoes what was presented.
          if (authorization) expect(res.body).not.toContain(authorization.replace(/^\S+\s*/, "") || "\u0000");
        }
    expect(await batchCalls()).toBe(0);
  });

  it("answers 403 to a key without the operation's scope, and lets the right scope through", async () => {
    const h = build(fn, API_KEYS);
    for (const op of ops[fn].filter((o) => o.scope)) {
      const holders = {
        [`${fn}:read`]: fn === "jobs" ? [KEY.jobsRead] : [KEY.envsRead, KEY.envsAll],
        [`${fn}:write`]: fn === "jobs" ? [KEY.jobsWrite] : [KEY.envsAll],
      } as Record<string, string[]>;
      const allowed = new Set([KEY.all, KEY.star, ...(holders[op.scope!] ?? [])]);
      const everyKey = Object.values(KEY);
      for (const shape of EVENT_SHAPES) {
        await emulatorRoute(t, "DELETE", "/counters");
        for (const key of everyKey.filter((k) => !allowed.has(k))) {
          const res = await call(h, shape, op, `Bearer ${key}`);
          const { json } = expectWellFormed(res, `${shape} ${op.method} ${op.path} key=${key}`);
          expect(res.statusCode, `${op.method} ${op.path} with ${key}`).toBe(403);
          expect(json.code).toBe("forbidden");
          expect(res.headers["www-authenticate"]).toContain(`scope="${op.scope}"`);
        }
        expect(await batchCalls(), `${op.method} ${op.path}: refused keys reached Batch`).toBe(0);
        for (const key of allowed) {
          const res = await call(h, shape, op, `Bearer ${key}`);
          expectWellFormed(res, `${shape} ${op.method} ${op.path} key=${key}`);
          expect([401, 403], `${op.method} ${op.path} with ${key}: ${res.body}`).not.toContain(res.statusCode);
        }
      }
    }
  });

  it.each([
    ["unset", undefined],
    ["empty", ""],
    ["only separators", " , ,"],
    ["a key too short", "ci:short"],
    ["no key at all", "ci"],
    ["a bad scope", `ci:${KEY.all}:JOBS-READ`],
    ["a name given twice", `ci:${KEY.all},ci:${KEY.star}`],
    ["a key given twice", `a:${KEY.all},b:${KEY.all}`],
  ])("refuses to serve when API_KEYS is %s: 503 for every operation, whatever key is sent", async (_what, apiKeys) => {
    const h = fromEnv(fn, apiKeys);
    await emulatorRoute(t, "DELETE", "/counters");
    for (const op of ops[fn])
      for (const authorization of [undefined, `Bearer ${KEY.all}`, "Bearer ci"]) {
        const res = await call(h, "apigw-captured", op, authorization);
        const { json } = expectWellFormed(res, `${op.method} ${op.path}`, { allow5xx: true });
        expect(res.statusCode).toBe(503);
        expect(json.code).toBe("auth_not_configured");
        // The configuration problem is not spelled out to callers (it could name a key's owner).
        expect(res.body).not.toContain(KEY.all);
      }
    expect(await batchCalls()).toBe(0);
  });
});

describe("local listeners", () => {
  it("the emulator binds 127.0.0.1 by default, from the environment too", () => {
    expect(emulatorOptionsFromEnv({}).host).toBe("127.0.0.1");
    expect(emulatorOptionsFromEnv({ BATCH_EMULATOR_PORT: "0" }).host).toBe("127.0.0.1");
    const addr = t.emu.server.address();
    expect(typeof addr === "object" && addr?.address).toBe("127.0.0.1");
  });
});
