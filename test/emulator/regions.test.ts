// The emulator serves several regions at once (X-TC-Region): state is per region, ids are unique
// across regions, ClientTokens are per region, zones must match the region, and all of it
// survives a restart (SQLite).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client as BatchClient } from "tencentcloud-sdk-nodejs/tencentcloud/services/batch/v20170312/batch_client";
import type { SubmitJobRequest } from "tencentcloud-sdk-nodejs/tencentcloud/services/batch/v20170312/batch_models";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createIds, type EmuContext, uniqueId } from "../../local/emulator/context";
import { type Emulator, startEmulator } from "../../local/emulator/server";
import { eventually, FAST_TIMINGS, TEST_SECRET_ID, TEST_SECRET_KEY } from "../support/emulator";

let dir: string;
let emu: Emulator;

const start = () =>
  startEmulator({ dataDir: dir, credentials: [{ secretId: TEST_SECRET_ID, secretKey: TEST_SECRET_KEY }], timings: FAST_TIMINGS, exec: false });
const client = (region: string) =>
  new BatchClient({
    credential: { secretId: TEST_SECRET_ID, secretKey: TEST_SECRET_KEY },
    region,
    profile: { httpProfile: { endpoint: `127.0.0.1:${emu.port}`, protocol: "http://" } },
  });
const codeOf = (p: Promise<unknown>) => p.then(() => "ok", (e: { code?: string }) => e.code ?? String(e));

const job = (zone: string, name: string, token?: string): SubmitJobRequest => ({
  Placement: { Zone: zone },
  Job: {
    JobName: name,
    Tasks: [{ TaskName: "t", Application: { DeliveryForm: "LOCAL", Command: "echo hi" }, ComputeEnv: { EnvType: "MANAGED", EnvData: { InstanceType: "BS1.LARGE8", ImageId: "img-31tjrtph" } } }],
  },
  ...(token ? { ClientToken: token } : {}),
});
const env = (zone: string, name: string) => ({
  Placement: { Zone: zone },
  ComputeEnv: { EnvName: name, DesiredComputeNodeCount: 1, EnvData: { InstanceType: "BS1.LARGE8", ImageId: "img-31tjrtph" } },
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "batch-emu-regions-"));
  emu = await start();
});
afterAll(async () => {
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("several regions in one emulator", () => {
  const ids: Record<string, { job: string; env: string; tokenJob: string }> = {};

  it("keeps envs and jobs to the region that made them", async () => {
    for (const [region, zone] of [
      ["ap-guangzhou", "ap-guangzhou-2"],
      ["ap-shanghai", "ap-shanghai-1"],
    ] as const) {
      const sdk = client(region);
      const envId = (await sdk.CreateComputeEnv(env(zone, `env-${region}`))).EnvId!;
      const jobId = (await sdk.SubmitJob(job(zone, `job-${region}`))).JobId!;
      const tokenJob = (await sdk.SubmitJob(job(zone, `tok-${region}`, "same-token-in-both-regions"))).JobId!;
      ids[region] = { job: jobId, env: envId, tokenJob };
    }
    const gz = client("ap-guangzhou");
    const sh = client("ap-shanghai");
    const { job: gzJob, env: gzEnv } = ids["ap-guangzhou"]!;
    const { job: shJob, env: shEnv } = ids["ap-shanghai"]!;

    expect((await sh.DescribeJob({ JobId: shJob })).Zone).toBe("ap-shanghai-1");
    expect(await codeOf(gz.DescribeJob({ JobId: shJob }))).toBe("ResourceNotFound.Job");
    expect(await codeOf(sh.DescribeJob({ JobId: gzJob }))).toBe("ResourceNotFound.Job");
    expect(await codeOf(gz.TerminateJob({ JobId: shJob }))).toBe("ResourceNotFound.Job");
    expect((await gz.DescribeJobs({})).JobSet!.map((j) => j.JobId).sort()).toEqual([gzJob, ids["ap-guangzhou"]!.tokenJob].sort());
    expect((await sh.DescribeJobs({ JobIds: [gzJob] })).TotalCount).toBe(0);

    expect(await codeOf(gz.DescribeComputeEnv({ EnvId: shEnv }))).toBe("ResourceNotFound.ComputeEnv");
    expect((await sh.DescribeComputeEnvs({})).ComputeEnvSet!.map((e) => e.EnvId)).toEqual([shEnv]);
    expect((await gz.DescribeComputeEnvs({})).ComputeEnvSet!.map((e) => e.EnvId)).toEqual([gzEnv]);
    // A job may run only on an env of its own region.
    const onOther = job("ap-guangzhou-2", "on-other");
    onOther.Job.Tasks[0] = { ...onOther.Job.Tasks[0]!, ComputeEnv: undefined, EnvId: shEnv } as never;
    expect(await codeOf(gz.SubmitJob(onOther))).toBe("ResourceNotFound.ComputeEnv");
  });

  it("refuses a zone of another region, in either region", async () => {
    expect(await codeOf(client("ap-shanghai").SubmitJob(job("ap-guangzhou-2", "x")))).toBe("InvalidZone.MismatchRegion");
    expect(await codeOf(client("ap-guangzhou").CreateComputeEnv(env("ap-shanghai-1", "x")))).toBe("InvalidZone.MismatchRegion");
  });

  it("keeps a ClientToken per region: the same token made one job in each, and replays each region's own", async () => {
    const gz = ids["ap-guangzhou"]!.tokenJob;
    const sh = ids["ap-shanghai"]!.tokenJob;
    expect(gz).not.toBe(sh);
    expect((await client("ap-shanghai").SubmitJob(job("ap-shanghai-1", "tok-ap-shanghai", "same-token-in-both-regions"))).JobId).toBe(sh);
    expect(await codeOf(client("ap-guangzhou").SubmitJob(job("ap-guangzhou-2", "another body", "same-token-in-both-regions")))).toBe("InvalidParameter");
  });

  it("gives ids no region already holds", () => {
    const drawn = ["job-aaaaaaaa", "job-aaaaaaaa", "job-bbbbbbbb"];
    const ctx = { ids: { next: () => drawn.shift()! } } as unknown as EmuContext;
    expect(uniqueId(ctx, "job", new Map([["job-aaaaaaaa", { region: "ap-shanghai" }]]))).toBe("job-bbbbbbbb");
    expect(createIds().next("env")).toMatch(/^env-[a-z0-9]{8}$/);
  });

  it("keeps every region's state, and its tokens, across a restart", async () => {
    const shJob = ids["ap-shanghai"]!.job;
    await eventually(async () => (await client("ap-shanghai").DescribeJob({ JobId: shJob })).JobState === "SUCCEED");
    await emu.close();
    emu = await start();
    expect((await client("ap-shanghai").DescribeJob({ JobId: shJob })).JobState).toBe("SUCCEED");
    expect(await codeOf(client("ap-guangzhou").DescribeJob({ JobId: shJob }))).toBe("ResourceNotFound.Job");
    expect((await client("ap-guangzhou").SubmitJob(job("ap-guangzhou-2", "tok-ap-guangzhou", "same-token-in-both-regions"))).JobId).toBe(
      ids["ap-guangzhou"]!.tokenJob,
    );
    expect((await client("ap-shanghai").DescribeComputeEnvs({})).ComputeEnvSet!.map((e) => e.EnvId)).toEqual([ids["ap-shanghai"]!.env]);
  });
});
