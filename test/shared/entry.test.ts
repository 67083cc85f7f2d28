// One bad-config policy in every function (shared/entry.ts): an HTTP event gets a 500
// config_invalid problem that names nothing, a timer or CMQ event is thrown, and the log names
// the variable; the next event tries again.
import { afterEach, describe, expect, it } from "vitest";
import { main_handler as costReport } from "../../functions/cost-report/entry";
import { main_handler as envs } from "../../functions/envs/entry";
import { main_handler as jobs } from "../../functions/jobs/entry";
import { main_handler as nodeAbnormal } from "../../functions/node-abnormal/entry";
import { lazyEntry } from "../../shared/entry";
import { AppError, isAppError } from "../../shared/errors";
import cmqEvent from "../fixtures/cmq-batch-node-event.json";
import functionUrl from "../fixtures/function-url.json";
import timer from "../fixtures/timer.json";
import { logged } from "../support/stdout";

const SECRET = "entry-test-secret-key-0123456789";
const GOOD: NodeJS.ProcessEnv = {
  TENCENTCLOUD_REGION: "ap-guangzhou",
  TENCENTCLOUD_SECRETID: "AKIDentrytest",
  TENCENTCLOUD_SECRETKEY: SECRET,
  API_KEYS: "app:entry-key-0123456789abcdef",
  COST_REPORT_DEST: "cos://bucket-1250000000.cos.ap-guangzhou.myqcloud.com/reports/",
  CMQ_PUSH_TOKEN: "entry-push-token",
};

const saved = { ...process.env };
afterEach(() => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

const httpEvent = (path: string) => ({ ...structuredClone(functionUrl), httpMethod: "GET", path, queryString: {} });

type Entry = (event: unknown, context?: unknown) => Promise<unknown>;

const cases: ReadonlyArray<{ name: string; handler: Entry; bad: NodeJS.ProcessEnv; variable: string; http: string }> = [
  { name: "jobs", handler: jobs, bad: { TENCENTCLOUD_REGION: "guangzhou" }, variable: "TENCENTCLOUD_REGION", http: "/jobs" },
  { name: "envs", handler: envs, bad: { ENV_POLICY: '{"default":{"maxNodes":-1}}' }, variable: "ENV_POLICY.default.maxNodes", http: "/envs" },
  { name: "cost-report", handler: costReport, bad: { COST_REPORT_DEST: "s3://elsewhere/" }, variable: "COST_REPORT_DEST", http: "/costs" },
  {
    name: "node-abnormal",
    handler: nodeAbnormal,
    bad: { REMEDIATION_MODE: "yolo" },
    variable: "REMEDIATION_MODE",
    http: "/cmq/entry-push-token",
  },
];

describe.each(cases)("$name with a bad configuration", (c) => {
  it("answers an HTTP event 500 config_invalid as problem+json, naming the variable only in the log", async () => {
    Object.assign(process.env, GOOD, c.bad);
    const { result, log } = await logged(() => c.handler(httpEvent(c.http), { request_id: "req-entry-1" }));
    const r = result as { statusCode: number; headers: Record<string, string>; body: string };
    expect(r.statusCode).toBe(500);
    expect(r.headers["content-type"]).toBe("application/problem+json");
    expect(JSON.parse(r.body)).toMatchObject({ status: 500, code: "config_invalid", instance: "req-entry-1", errors: [] });
    expect(r.body).not.toContain(c.variable.split(".")[0]);
    expect(log).toContain(c.variable);
    expect(log).toContain('"level":"error"');
    expect(log).not.toContain(SECRET);
  });
});

const asyncCases = [
  { ...cases[2]!, event: timer },
  { ...cases[3]!, event: cmqEvent },
];

describe.each(asyncCases)("$name with a bad configuration", (c) => {
  it("throws on a timer or CMQ event (SCF retries it), after logging the variable", async () => {
    Object.assign(process.env, GOOD, c.bad);
    const { error, log } = await logged(() => c.handler(structuredClone(c.event), { request_id: "req-entry-2" }));
    expect(isAppError(error) && error.code).toBe("config_invalid");
    expect(log).toContain(c.variable);
  });
});

describe("lazyEntry", () => {
  it("builds once the configuration is fixed, then keeps what it built", async () => {
    let valid = false;
    let built = 0;
    const entry = lazyEntry(
      "probe",
      () => {
        if (!valid) throw new AppError("config_invalid", "invalid configuration: PROBE: must be set", { status: 500, expose: false });
        built++;
        return {};
      },
      () => async () => "served",
    );
    const first = await logged(() => entry(structuredClone(timer)));
    expect(first.log).toContain("PROBE: must be set");
    expect(isAppError(first.error) && first.error.code).toBe("config_invalid");
    valid = true;
    expect(await entry(structuredClone(timer))).toBe("served");
    expect(await entry(httpEvent("/x"))).toBe("served");
    expect(built).toBe(1);
  });

  it("answers an HTTP event 500 internal_error when building fails for another reason", async () => {
    const entry = lazyEntry("probe", () => { throw new TypeError("boom"); }, () => async () => "served");
    const { result } = await logged(() => entry(httpEvent("/x"), { request_id: "req-entry-3" }));
    expect(JSON.parse((result as { body: string }).body)).toMatchObject({ status: 500, code: "internal_error", instance: "req-entry-3" });
  });
});
