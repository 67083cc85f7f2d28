// autoscale end to end: the function's handler in process (timer events and its HTTP route),
// its Batch port the real SDK against the emulator, task commands run as local processes. The
// story of issue 15: an env at 0 nodes grows for a job with several instances and shrinks back
// to 0 after its (here short) idle window; manual changes hold; a dry run changes nothing.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeHandler, type TimerResult } from "../../functions/autoscale/entry";
import { evaluate } from "../../functions/autoscale/evaluate";
import { PlacementCache } from "../../functions/autoscale/read";
import type { BatchPort, SubmitJobRequest } from "../../shared/batch/port";
import { AppError } from "../../shared/errors";
import { EnvPolicySchema, parseChangeStamp, stampDescription } from "../../shared/env-policy";
import { parseApiKeys } from "../../shared/http";
import { memoryLogger } from "../../shared/log";
import functionUrl from "../fixtures/function-url.json";
import { eventually, startTestEmulator, type TestEmulator } from "../support/emulator";

const timerEvent = JSON.parse(readFileSync(join(__dirname, "../fixtures/timer.json"), "utf8")) as unknown;
const WRITER = "writer-key-0123456789abcdef";
const READER = "reader-key-0123456789abcdef";
const KEYS = `writer:${WRITER}:envs:read|envs:write, reader:${READER}:envs:read`;

let t: TestEmulator;
beforeAll(async () => {
  t = await startTestEmulator();
});
afterAll(async () => {
  await t?.stop();
});

let seq = 0;
async function createEnv(desired: number, tags: Array<{ Key: string; Value: string }>, description = "render farm"): Promise<string> {
  const { envId } = await t.port.createEnv({
    Placement: { Zone: "ap-guangzhou-2" },
    ComputeEnv: {
      EnvName: `autoscale-${++seq}`,
      EnvDescription: description,
      DesiredComputeNodeCount: desired,
      EnvData: { InstanceType: "S1.SMALL1", ImageId: "img-31tjrtph" },
      Tags: tags,
    },
  });
  return envId;
}

function job(envId: string, instances: number, command: string): SubmitJobRequest {
  return {
    Placement: { Zone: "ap-guangzhou-2" },
    Job: {
      JobName: "autoscale-e2e",
      Tasks: [{ TaskName: "work", TaskInstanceNum: instances, EnvId: envId, Application: { DeliveryForm: "LOCAL", Command: command } }],
    },
  };
}

function autoscale(policy: unknown = {}, o: { dryRun?: boolean; now?: () => number; batch?: BatchPort } = {}) {
  const logger = memoryLogger({ function: "autoscale" });
  const handler = makeHandler({
    batch: o.batch ?? t.port,
    region: "ap-guangzhou",
    policy: EnvPolicySchema.parse(policy),
    logger,
    dryRun: o.dryRun ?? false,
    keys: parseApiKeys(KEYS),
    ...(o.now ? { clock: () => new Date(o.now!()) } : {}),
  });
  const tick = async () => (await handler(timerEvent)) as TimerResult;
  const post = async (envId: string, query: Record<string, string> = {}, key = WRITER) => {
    const e = structuredClone(functionUrl) as Record<string, unknown> & { headers: Record<string, string> };
    e.httpMethod = "POST";
    e.path = `/envs/${envId}/autoscale`;
    e.queryString = query;
    e.body = "";
    e.headers = { ...e.headers, authorization: `Bearer ${key}` };
    const r = (await handler(e)) as { statusCode: number; body: string };
    return { status: r.statusCode, json: JSON.parse(r.body) as Record<string, unknown> };
  };
  const decisions = (envId: string) => logger.lines.filter((l) => l.msg === "autoscale decision" && l.env === envId);
  return { tick, post, decisions, logger };
}

const env = (envId: string) => t.port.getEnv(envId);
const running = async (envId: string, n: number) =>
  eventually(async () => {
    const e = await env(envId);
    return e.ComputeNodeSet.filter((x) => x.ComputeNodeState === "RUNNING").length === n && e.ComputeNodeSet.length === n ? e : undefined;
  }, 20_000);

describe("autoscale against the emulator", () => {
  it("grows an env at 0 nodes for a job's instances, then shrinks it to 0 once they have been idle for the window", async () => {
    const envId = await createEnv(0, [{ Key: "batch-scf/autoscale", Value: "on" }]);
    // A 30 s idle window (the defaults' 600 s, shortened); the end of it is reached by a clock 31 s ahead, not by waiting.
    const policy = { envs: [{ envId, autoscale: { minNodes: 0, maxNodes: 5, scaleDownAfterSeconds: 30 } }] };
    const a = autoscale(policy);
    const { JobId } = await t.sdk.SubmitJob(job(envId, 3, "sleep 0.3"));
    await eventually(async () => (await t.sdk.DescribeJob({ JobId: JobId! })).JobState === "RUNNABLE");

    const up = await a.tick();
    expect(up).toMatchObject({ evaluated: 1, changed: 1, skipped: 0, dryRun: false });
    expect(a.decisions(envId)[0]).toMatchObject({ action: "scale_up", before: 0, after: 3, demand: expect.objectContaining({ waiting: 3 }) });
    expect((await env(envId)).DesiredComputeNodeCount).toBe(3);
    // The change is stamped as autoscale's, the person's description kept.
    const info = (await t.port.getEnvCreateInfo(envId)) as { EnvDescription?: string };
    expect(parseChangeStamp(info.EnvDescription)).toMatchObject({ by: "autoscale" });
    expect(info.EnvDescription).toMatch(/^render farm \[batch-scf\/last-change=autoscale@/);

    // While nodes boot, a second evaluation adds nothing (capacity coming).
    const again = await a.tick();
    expect(again.changed).toBe(0);

    await eventually(async () => (await t.sdk.DescribeJob({ JobId: JobId! })).JobState === "SUCCEED", 20_000);
    // Idle, but not for 30 s yet: kept.
    const early = await a.tick();
    expect(early.changed).toBe(0);
    expect(a.decisions(envId).at(-1)).toMatchObject({ action: "none", rule: "scaleDownAfterSeconds" });

    const later = autoscale(policy, { now: () => Date.now() + 31_000 });
    const down = await later.tick();
    expect(down.changed).toBe(1);
    expect(later.decisions(envId).at(-1)).toMatchObject({ action: "scale_down", before: 3, after: 0 });
    await running(envId, 0);
    expect((await env(envId)).DesiredComputeNodeCount).toBe(0);
    // At zero with nothing waiting: nothing to do, and it says so.
    await later.tick();
    expect(later.decisions(envId).at(-1)).toMatchObject({ action: "none", before: 0, after: 0 });
  }, 60_000);

  it("answers the timer's decision on demand: a dry run changes nothing, a real one applies it", async () => {
    const envId = await createEnv(0, [{ Key: "batch-scf/autoscale", Value: "on" }]);
    const a = autoscale();
    const { JobId } = await t.sdk.SubmitJob(job(envId, 2, "sleep 5"));
    await eventually(async () => (await t.sdk.DescribeJob({ JobId: JobId! })).JobState === "RUNNABLE");

    const dry = await a.post(envId, { dryRun: "true" });
    expect(dry.status).toBe(200);
    expect(dry.json).toMatchObject({ EnvId: envId, Autoscale: "on", Action: "scale_up", Before: 0, After: 2, DryRun: true, Applied: false });
    expect((await env(envId)).DesiredComputeNodeCount).toBe(0);
    expect(a.decisions(envId)[0]).toMatchObject({ dry_run: true, action: "scale_up" });

    // Read scope only: refused.
    expect((await a.post(envId, {}, READER)).status).toBe(403);

    const real = await a.post(envId);
    expect(real.json).toMatchObject({ Action: "scale_up", After: 2, DryRun: false, Applied: true });
    expect((await env(envId)).DesiredComputeNodeCount).toBe(2);
  }, 30_000);

  it("leaves envs that did not opt in alone, says why, and answers 404 for an unknown env", async () => {
    const envId = await createEnv(0, []);
    const a = autoscale();
    await t.sdk.SubmitJob(job(envId, 1, "true"));
    const r = await a.post(envId);
    expect(r.json).toMatchObject({ EnvId: envId, Autoscale: "off", Applied: false });
    expect(String(r.json.Why)).toMatch(/not opted in/);
    expect((await env(envId)).DesiredComputeNodeCount).toBe(0);
    expect((await a.post("env-00000000")).status).toBe(404);
    expect((await a.post("not-an-env")).status).toBe(400);
  }, 30_000);

  it("holds an env someone scaled by hand for manualHoldSeconds", async () => {
    const envId = await createEnv(0, [{ Key: "batch-scf/autoscale", Value: "on" }]);
    // Scaled by hand through the envs API (stamped manual) a minute ago.
    await t.port.setDesiredNodes(envId, 1, { description: stampDescription("render farm", { by: "manual", at: Date.now() - 60_000 }) });
    await running(envId, 1);
    const a = autoscale({ envs: [{ envId, autoscale: { scaleDownAfterSeconds: 1 } }] });
    await new Promise((r) => setTimeout(r, 1_100));
    const r = await a.tick();
    expect(r.changed).toBe(0);
    expect(a.decisions(envId).at(-1)).toMatchObject({ action: "hold", rule: "manualHold" });
    // After the hold (here: the clock 15 minutes on), the idle node goes.
    const later = autoscale({ envs: [{ envId, autoscale: { scaleDownAfterSeconds: 1 } }] }, { now: () => Date.now() + 900_000 });
    await later.tick();
    expect(later.decisions(envId).at(-1)).toMatchObject({ action: "scale_down", before: 1, after: 0 });
  }, 30_000);

  it("with DRY_RUN decides and logs every env, and changes none", async () => {
    const envId = await createEnv(0, [{ Key: "batch-scf/autoscale", Value: "on" }]);
    await t.sdk.SubmitJob(job(envId, 1, "sleep 3"));
    const a = autoscale({}, { dryRun: true });
    await eventually(async () => {
      await a.tick();
      return a.decisions(envId).some((d) => d.action === "scale_up");
    });
    expect(a.decisions(envId).every((d) => d.dry_run === true)).toBe(true);
    expect((await env(envId)).DesiredComputeNodeCount).toBe(0);
  }, 30_000);

  it("skips an env it cannot read (logged, counted, nothing guessed) and still sizes the others", async () => {
    const broken = await createEnv(0, [{ Key: "batch-scf/autoscale", Value: "on" }]);
    const fine = await createEnv(0, [{ Key: "batch-scf/autoscale", Value: "on" }]);
    const ids = [(await t.sdk.SubmitJob(job(broken, 1, "sleep 3"))).JobId!, (await t.sdk.SubmitJob(job(fine, 1, "sleep 3"))).JobId!];
    await eventually(async () => (await Promise.all(ids.map((JobId) => t.sdk.DescribeJob({ JobId })))).every((j) => j.JobState === "RUNNABLE"));
    const batch: BatchPort = {
      ...t.port,
      getEnv: (envId) => (envId === broken ? Promise.reject(new AppError("batch.InternalError", "Batch DescribeComputeEnv failed: InternalError", { status: 503 })) : t.port.getEnv(envId)),
    };
    const a = autoscale({}, { batch });
    const r = await a.tick();
    expect(r.skipped).toBeGreaterThanOrEqual(1);
    expect(a.logger.lines.find((l) => l.msg === "autoscale skipped: the env could not be read" && l.env === broken)).toBeDefined();
    expect(a.decisions(broken)).toEqual([]);
    expect((await env(broken)).DesiredComputeNodeCount).toBe(0);
    expect(a.decisions(fine)[0]).toMatchObject({ action: "scale_up", after: 1 });
    expect((await env(fine)).DesiredComputeNodeCount).toBe(1);
  }, 30_000);

  it("starts no env past its time budget: the rest are skipped, said so, and left as they are", async () => {
    const envId = await createEnv(0, [{ Key: "batch-scf/autoscale", Value: "on" }]);
    await t.sdk.SubmitJob(job(envId, 1, "sleep 3"));
    const r = await evaluate(
      { batch: t.port, policy: EnvPolicySchema.parse({}), logger: memoryLogger(), placements: new PlacementCache(), dryRun: false },
      { now: Date.now(), deadline: Date.now() - 1 },
    );
    expect(r.envs.find((e) => e.envId === envId)).toMatchObject({ status: "skipped", error: expect.stringMatching(/out of time/) });
    expect(r.changed).toBe(0);
    expect((await env(envId)).DesiredComputeNodeCount).toBe(0);
  }, 30_000);

  it("applies on demand only for the env's creator (or envs:admin) and the policy's scaleScopes; a dry run needs neither; 503 when Batch cannot be read", async () => {
    const envId = await createEnv(0, [
      { Key: "batch-scf/autoscale", Value: "on" },
      { Key: "batch-scf/creator", Value: "bob" },
    ]);
    const a = autoscale();
    const refused = await a.post(envId);
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ code: "not_owner" });
    expect((await a.post(envId, { dryRun: "true" })).status).toBe(200);

    const mine = await createEnv(0, [{ Key: "batch-scf/autoscale", Value: "on" }]);
    const strict = autoscale({ envs: [{ envId: mine, scaleScopes: ["envs:admin"] }] });
    const scoped = await strict.post(mine);
    expect(scoped.status).toBe(403);
    expect(scoped.json).toMatchObject({ code: "policy.scaleScopes" });

    const batch: BatchPort = { ...t.port, getEnv: () => Promise.reject(new AppError("batch.InternalError", "Batch DescribeComputeEnv failed: InternalError", { status: 503 })) };
    const down = await autoscale({}, { batch }).post(mine, { dryRun: "true" });
    expect(down.status).toBe(503);
  }, 30_000);
});
