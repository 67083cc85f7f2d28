// The SCF entry: configuration from the environment, read once; a bad policy stops the function
// naming the field; secrets never reach a log line.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromEnv, main_handler, makeHandler } from "../../functions/envs/entry";
import { isAppError } from "../../shared/errors";
import { type Logger, memoryLogger } from "../../shared/log";
import functionUrl from "../fixtures/function-url.json";
import { startTestEmulator, TEST_SECRET_ID, TEST_SECRET_KEY, type TestEmulator } from "../support/emulator";
import { logged } from "../support/stdout";
import { API_KEYS, createBody, WRITER } from "./harness";

let t: TestEmulator;
beforeAll(async () => {
  t = await startTestEmulator();
});
afterAll(() => t.stop());

const baseEnv = (): NodeJS.ProcessEnv => ({
  TENCENTCLOUD_REGION: "ap-guangzhou",
  TENCENTCLOUD_SECRETID: TEST_SECRET_ID,
  TENCENTCLOUD_SECRETKEY: TEST_SECRET_KEY,
  BATCH_ENDPOINT: t.emu.url,
  API_KEYS,
  ENV_POLICY: JSON.stringify({ default: { cooldownSeconds: 0 } }),
});

function event(method: string, path: string, body?: unknown) {
  const e = structuredClone(functionUrl) as Record<string, unknown> & { headers: Record<string, string> };
  e.httpMethod = method;
  e.path = path;
  e.queryString = {};
  e.body = body === undefined ? "" : JSON.stringify(body);
  e.headers.authorization = `Bearer ${WRITER}`;
  return e;
}

const handlerFromEnv = (env: NodeJS.ProcessEnv, logger: Logger) => makeHandler(fromEnv(env, logger));

describe("fromEnv + makeHandler", () => {
  it("stops on a bad policy with the variable and the field that is wrong", () => {
    const cases: Array<[string, RegExp]> = [
      [JSON.stringify({ default: { maxNodes: -1 } }), /ENV_POLICY\.default\.maxNodes/],
      [JSON.stringify({ envs: [{ envName: "a-*", scaleScopes: ["write"] }] }), /ENV_POLICY\.envs\.0\.scaleScopes\.0/],
      [JSON.stringify({ envs: [{ envName: "a-*", minNodes: 9, maxNodes: 2 }] }), /ENV_POLICY\.envs\.0\.minNodes/],
      ["{not json", /ENV_POLICY is not valid JSON/],
    ];
    for (const [policy, message] of cases) {
      let err: unknown;
      try {
        handlerFromEnv({ ...baseEnv(), ENV_POLICY: policy }, memoryLogger());
      } catch (e) {
        err = e;
      }
      expect(isAppError(err) && err.code, policy).toBe("config_invalid");
      expect((err as Error).message).toMatch(message);
    }
  });

  it("stops on a malformed region or price table", () => {
    expect(() => handlerFromEnv({ ...baseEnv(), TENCENTCLOUD_REGION: "guangzhou" }, memoryLogger())).toThrow(/TENCENTCLOUD_REGION/);
    expect(() => handlerFromEnv({ ...baseEnv(), COST_PRICES: '{"types":{"BS1.LARGE8":{"perHour":-1}}}' }, memoryLogger())).toThrow(
      /COST_PRICES\.types\.BS1\.LARGE8\.perHour/,
    );
  });

  it("serves against Batch with the configured endpoint and credentials, and logs no secret", async () => {
    const logger = memoryLogger();
    const h = handlerFromEnv(baseEnv(), logger);
    const created = await h(event("POST", "/envs", createBody("entry-env", 1)), { request_id: "r-1" });
    expect(created.statusCode).toBe(201);
    const envId = (JSON.parse(created.body) as { EnvId: string }).EnvId;
    const got = await h(event("GET", `/envs/${envId}`), { request_id: "r-2" });
    expect(got.statusCode).toBe(200);
    expect(JSON.parse(got.body)).toMatchObject({ EnvId: envId, DesiredComputeNodeCount: 1 });
    const all = JSON.stringify(logger.lines);
    expect(logger.lines.some((l) => l.msg === "audit" && l.what === "create" && l.who === "writer")).toBe(true);
    expect(all).not.toContain(TEST_SECRET_KEY);
    expect(all).not.toContain(WRITER);
  });
});

describe("main_handler", () => {
  it("refuses to serve with a bad policy (500, the field in the log), then builds once the environment is fixed", async () => {
    Object.assign(process.env, baseEnv(), { ENV_POLICY: JSON.stringify({ default: { cooldownSeconds: -5 } }) });
    const { result: refused, log } = await logged(() => main_handler(event("GET", "/envs"), { request_id: "r-3" }));
    expect(refused?.statusCode).toBe(500);
    expect(refused?.headers["content-type"]).toBe("application/problem+json");
    expect(JSON.parse(refused?.body ?? "{}")).toMatchObject({ code: "config_invalid", instance: "r-3" });
    expect(refused?.body).not.toContain("cooldownSeconds");
    expect(log).toContain("ENV_POLICY.default.cooldownSeconds");

    Object.assign(process.env, baseEnv());
    const r = await main_handler(event("GET", "/envs"), { request_id: "r-4" });
    expect(r.statusCode).toBe(200);
    expect(r.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(r.body)).toMatchObject({ Offset: 0, Limit: 20 });
  });
});
