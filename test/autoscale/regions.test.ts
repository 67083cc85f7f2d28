// autoscale over two regions (BATCH_REGIONS): one timer run sizes an opted-in env in each of
// ap-guangzhou and ap-shanghai, each through its own region's port; the route finds an env's
// region from its id alone; a region that cannot be listed does not stop the other.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeHandler, type TimerResult } from "../../functions/autoscale/entry";
import { batchRegionsFromEnv } from "../../shared/batch/config";
import type { BatchPort } from "../../shared/batch/port";
import { batchRegions, type BatchRegions } from "../../shared/batch/regions";
import { AppError } from "../../shared/errors";
import { EnvPolicySchema } from "../../shared/env-policy";
import { parseApiKeys } from "../../shared/http";
import { memoryLogger } from "../../shared/log";
import functionUrl from "../fixtures/function-url.json";
import { eventually, startTestEmulator, TEST_SECRET_ID, TEST_SECRET_KEY, type TestEmulator } from "../support/emulator";

const timerEvent = JSON.parse(readFileSync(join(__dirname, "../fixtures/timer.json"), "utf8")) as unknown;
const WRITER = "writer-key-0123456789abcdef";

let t: TestEmulator;
let regions: BatchRegions;
beforeAll(async () => {
  t = await startTestEmulator();
  regions = batchRegionsFromEnv({
    TENCENTCLOUD_REGION: "ap-guangzhou",
    BATCH_REGIONS: "ap-guangzhou,ap-shanghai",
    BATCH_ENDPOINT: t.emu.url,
    TENCENTCLOUD_SECRETID: TEST_SECRET_ID,
    TENCENTCLOUD_SECRETKEY: TEST_SECRET_KEY,
  }).regions;
});
afterAll(async () => {
  await t?.stop();
});

const ZONE: Record<string, string> = { "ap-guangzhou": "ap-guangzhou-2", "ap-shanghai": "ap-shanghai-1" };

/** An opted-in env at 0 nodes in `region`, with a job of `instances` waiting for it. */
async function envWithWork(region: string, instances: number): Promise<{ envId: string; jobId: string }> {
  const port = regions.port(region);
  const { envId } = await port.createEnv({
    Placement: { Zone: ZONE[region]! },
    ComputeEnv: {
      EnvName: `autoscale-${region}`,
      DesiredComputeNodeCount: 0,
      EnvData: { InstanceType: "BS1.LARGE8", ImageId: "img-31tjrtph" },
      Tags: [{ Key: "batch-scf/autoscale", Value: "on" }],
    },
  });
  const { jobId } = await port.submitJob({
    Placement: { Zone: ZONE[region]! },
    Job: { JobName: "work", Tasks: [{ TaskName: "work", TaskInstanceNum: instances, EnvId: envId, Application: { DeliveryForm: "LOCAL", Command: "sleep 0.2" } }] },
  });
  await eventually(async () => (await port.getJob(jobId)).JobState === "RUNNABLE");
  return { envId, jobId };
}

function autoscale(over: BatchRegions = regions, dryRun = false) {
  const logger = memoryLogger({ function: "autoscale" });
  const handler = makeHandler({ regions: over, region: "ap-guangzhou", policy: EnvPolicySchema.parse({}), logger, dryRun, keys: parseApiKeys(`writer:${WRITER}:envs:read|envs:write`) });
  const tick = async () => (await handler(timerEvent)) as TimerResult;
  const post = async (envId: string, query: Record<string, string> = {}) => {
    const e = structuredClone(functionUrl) as Record<string, unknown> & { headers: Record<string, string> };
    Object.assign(e, { httpMethod: "POST", path: `/envs/${envId}/autoscale`, queryString: query, body: "" });
    e.headers = { ...e.headers, authorization: `Bearer ${WRITER}` };
    const r = (await handler(e)) as { statusCode: number; body: string };
    return { status: r.statusCode, json: JSON.parse(r.body) as Record<string, unknown> };
  };
  const decision = (envId: string) => logger.lines.find((l) => l.msg === "autoscale decision" && l.env === envId);
  return { tick, post, decision, logger };
}

describe("autoscale across ap-guangzhou and ap-shanghai", () => {
  let gz: { envId: string; jobId: string };
  let sh: { envId: string; jobId: string };

  it("sizes an env in each region in one timer run, each through its own region", async () => {
    gz = await envWithWork("ap-guangzhou", 2);
    sh = await envWithWork("ap-shanghai", 1);
    const a = autoscale();
    const run = await a.tick();
    expect(run).toMatchObject({ evaluated: 2, changed: 2, skipped: 0 });
    expect(a.decision(gz.envId)).toMatchObject({ region: "ap-guangzhou", action: "scale_up", before: 0, after: 2 });
    expect(a.decision(sh.envId)).toMatchObject({ region: "ap-shanghai", action: "scale_up", before: 0, after: 1 });
    expect((await regions.port("ap-guangzhou").getEnv(gz.envId)).DesiredComputeNodeCount).toBe(2);
    expect((await regions.port("ap-shanghai").getEnv(sh.envId)).DesiredComputeNodeCount).toBe(1);
  }, 30_000);

  it("finds the env's region from its id alone, or takes ?region=", async () => {
    const a = autoscale(regions, true);
    const byId = await a.post(sh.envId);
    expect(byId.status).toBe(200);
    expect(byId.json).toMatchObject({ EnvId: sh.envId, Region: "ap-shanghai", Autoscale: "on", DryRun: true });
    const named = await a.post(gz.envId, { region: "ap-guangzhou" });
    expect(named.json).toMatchObject({ Region: "ap-guangzhou", Autoscale: "on" });
    expect((await a.post(gz.envId, { region: "ap-shanghai" })).status).toBe(404);
    expect((await a.post(gz.envId, { region: "ap-beijing" })).status).toBe(400);
  });

  it("evaluates the other region when one cannot be listed, then fails the run naming it", async () => {
    const failing: BatchPort = {
      ...regions.port("ap-shanghai"),
      listEnvs: async () => {
        throw new AppError("batch_unavailable", "Shanghai is down", { status: 503 });
      },
    };
    const a = autoscale(batchRegions(regions.names, (r) => (r === "ap-shanghai" ? failing : regions.port(r))), true);
    await expect(a.tick()).rejects.toThrow(/could not be listed in ap-shanghai: Shanghai is down/);
    expect(a.decision(gz.envId)).toMatchObject({ region: "ap-guangzhou" });
    expect(a.logger.lines.find((l) => l.msg === "autoscale run")).toMatchObject({ evaluated: 1, failed: [expect.stringMatching(/^ap-shanghai/)] });
  });
});
