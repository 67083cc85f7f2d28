// The SDK adapter's failure paths against the emulator and a closed port.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "../../shared/errors";
import { DEFAULT_RATES } from "../../shared/batch/limiter";
import { batchFromEnv, credentialsFromEnv, ratesFromEnv } from "../../shared/batch/config";
import { type BatchSdkClient, createTencentBatch } from "../../shared/batch/tencent-adapter";
import { startTestEmulator, type TestEmulator } from "../support/emulator";

let t: TestEmulator;
beforeAll(async () => {
  t = await startTestEmulator({ exec: false });
});
afterAll(() => t.stop());

const counters = async () => (await (await fetch(`${t.emu.url}/_emulator/counters`)).json()) as Record<string, number>;

describe("the Batch adapter", () => {
  it("fails at once, unexposed and unretried, when the credentials are missing", async () => {
    await fetch(`${t.emu.url}/_emulator/counters`, { method: "DELETE" });
    const port = createTencentBatch({ region: "ap-guangzhou", endpoint: t.emu.url, credentials: () => credentialsFromEnv({}), rates: {} });
    const err = (await port.getJob("job-aaaaaaaa").catch((e: unknown) => e)) as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: "credentials_missing", status: 500, expose: false });
    expect(await counters()).toEqual({});
  });

  it("does not name the endpoint to callers when Batch cannot be reached", async () => {
    const port = createTencentBatch({
      region: "ap-guangzhou",
      endpoint: "http://127.0.0.1:1",
      credentials: () => ({ secretId: "AKIDx", secretKey: "y" }),
      retry: { baseMs: 1, capMs: 1 },
      rates: {},
    });
    const err = (await port.listEnvs({}).catch((e: unknown) => e)) as AppError;
    expect(err).toMatchObject({ code: "batch.unavailable", status: 503 });
    expect(err.message).not.toContain("127.0.0.1");
  });

  it("does not repeat a DeleteJob after an unclear failure (a repeat would answer 404 for a success)", async () => {
    await fetch(`${t.emu.url}/_emulator/counters`, { method: "DELETE" });
    await fetch(`${t.emu.url}/_emulator/faults`, { method: "POST", body: JSON.stringify({ action: "DeleteJob", code: "InternalError", count: 1 }) });
    try {
      const err = (await t.port.deleteJob("job-aaaaaaaa").catch((e: unknown) => e)) as AppError;
      expect(err.tencentCode).toBe("InternalError");
      expect((await counters()).DeleteJob).toBe(1);
    } finally {
      await fetch(`${t.emu.url}/_emulator/faults`, { method: "DELETE" });
    }
  });
});

describe("the Batch adapter over an injected SDK client", () => {
  /** An SDK client answering each action with its handler. */
  const over = (handlers: Record<string, (req: unknown) => Promise<unknown>>) => {
    const client: BatchSdkClient = { request: (action, req) => handlers[action]!(req) };
    return createTencentBatch({ region: "ap-guangzhou", credentials: () => ({ secretId: "AKIDx", secretKey: "y" }), rates: {}, retry: { baseMs: 1, capMs: 1 }, client });
  };

  it("calls the client it is given and parses its replies", async () => {
    const seen: unknown[] = [];
    const port = over({
      SubmitJob: async (req: unknown) => {
        seen.push(req);
        return { JobId: "job-injected", RequestId: "req-1" };
      },
      DescribeJobSubmitInfo: async () => ({ JobId: "job-injected", Tasks: [{ TaskName: "T", RedirectInfo: { StdoutRedirectPath: "cos://b/" } }], RequestId: "req-2" }),
    });
    expect(await port.submitJob({ Placement: { Zone: "ap-guangzhou-2" }, Job: { Tasks: [] } } as never)).toEqual({ jobId: "job-injected", requestId: "req-1" });
    expect(seen[0]).toMatchObject({ ClientToken: expect.any(String) });
    expect((await port.getJobSubmitInfo("job-injected")).Tasks?.[0]?.RedirectInfo?.StdoutRedirectPath).toBe("cos://b/");
  });

  it.each([
    ["SubmitJob", (p: ReturnType<typeof over>) => p.submitJob({} as never), { RequestId: "r" }],
    ["CreateComputeEnv", (p: ReturnType<typeof over>) => p.createEnv({} as never), { EnvId: "", RequestId: "r" }],
    ["DescribeJobSubmitInfo", (p: ReturnType<typeof over>) => p.getJobSubmitInfo("job-a"), { Tasks: [{ RedirectInfo: null }], RequestId: "r" }],
    ["DescribeComputeEnvCreateInfo", (p: ReturnType<typeof over>) => p.getEnvCreateInfo("env-a"), { EnvData: { InstanceTypes: "S1.SMALL1" }, RequestId: "r" }],
  ] as const)("answers 502 batch.bad_reply (unexposed) when %s replies an unexpected shape", async (action, run, reply) => {
    const err = (await run(over({ [action]: async () => reply })).catch((e: unknown) => e)) as AppError;
    expect(err).toMatchObject({ code: "batch.bad_reply", status: 502, expose: false });
    expect(err.message).toContain(action);
  });
});

describe("BATCH_RATES", () => {
  it("keeps the documented rates when unset or empty, and lays a JSON override over them", () => {
    expect(ratesFromEnv({})).toEqual(DEFAULT_RATES);
    expect(ratesFromEnv({ BATCH_RATES: "" })).toEqual(DEFAULT_RATES);
    expect(ratesFromEnv({ BATCH_RATES: '{"SubmitJob": 20, "DescribeJobs": 0.5}' })).toEqual({ ...DEFAULT_RATES, SubmitJob: 20, DescribeJobs: 0.5 });
  });

  it.each([
    ['{"SubmitJobs": 20}', /invalid BATCH_RATES: BATCH_RATES\.SubmitJobs: an action this project calls: SubmitJob, /],
    ['{"SubmitJob": 0}', /BATCH_RATES\.SubmitJob: must be above 0/],
    ['{"SubmitJob": "20"}', /BATCH_RATES\.SubmitJob: must be a number of requests per second/],
    ['{"SubmitJob": 5000}', /BATCH_RATES\.SubmitJob: must be at most 1000/],
    ["[20]", /invalid BATCH_RATES/],
    ["{SubmitJob: 20}", /BATCH_RATES is not valid JSON/],
  ])("refuses %s, naming the variable and the action", (raw, reason) => {
    const err = (() => {
      try {
        ratesFromEnv({ BATCH_RATES: raw });
      } catch (e) {
        return e as AppError;
      }
    })();
    expect(err).toBeInstanceOf(AppError);
    expect(err?.code).toBe("config_invalid");
    expect(err?.message).toMatch(reason);
  });

  it("reaches the HTTP functions' Batch client", () => {
    const { rates } = batchFromEnv({ TENCENTCLOUD_REGION: "ap-guangzhou", BATCH_RATES: '{"SubmitJob": 20}' });
    expect(rates.SubmitJob).toBe(20);
  });
});
