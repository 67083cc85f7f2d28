// Faults: the emulator injects RequestLimitExceeded, InternalError and latency on every action
// (about 30 % of calls fail), and a proxy loses some answers after Batch acted. End-to-end flows
// still complete: N submits with idempotency keys yield exactly N jobs; remediation converges;
// the cost report is complete (and equal to a fault-free run) or marked partial.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { makeHandler as makeCostHandler } from "../../functions/cost-report/handler";
import type { CostReport } from "../../functions/cost-report/model";
import { buildPriceTable } from "../../shared/prices";
import { makeHandler as makeJobsHandler } from "../../functions/jobs/entry";
import { DEFAULT_REMEDIATION } from "../../functions/node-abnormal/config";
import { makeHandler as makeNodeAbnormal } from "../../functions/node-abnormal/handler";
import type { JobRecord } from "../../local/emulator/state";
import { EnvPolicySchema } from "../../shared/env-policy";
import { parseApiKeys } from "../../shared/http";
import { memoryLogger } from "../../shared/log";
import { createFsReportStore, localPathOf } from "../../shared/report-store";
import timerFixture from "../fixtures/timer.json";
import { eventually, startTestEmulator, type TestEmulator } from "../support/emulator";
import { httpEvent } from "../support/fuzz";
import { emulatorRoute, fastPort, startLossyProxy } from "./support";

const WRITER = "faults-writer-key-0123456789";

let t: TestEmulator;
beforeAll(async () => {
  t = await startTestEmulator({ exec: false });
});
afterAll(() => t?.stop());
afterEach(() => emulatorRoute(t, "DELETE", "/faults"));

/** ~30 % of calls to every action fail (throttled or internal error); a third of the rest are slow. */
async function injectFaults(em: TestEmulator = t) {
  // The first two calls fail whatever the dice say, so every run meets a fault.
  await emulatorRoute(em, "POST", "/faults", { action: "*", code: "InternalError", count: 2 });
  await emulatorRoute(em, "POST", "/faults", { action: "*", code: "RequestLimitExceeded", rate: 0.15 });
  await emulatorRoute(em, "POST", "/faults", { action: "*", code: "InternalError", rate: 0.18 });
  await emulatorRoute(em, "POST", "/faults", { action: "*", latencyMs: 25, rate: 0.35 });
}
const faultHits = async (em: TestEmulator = t) => (await emulatorRoute<Array<{ code?: string; hits: number }>>(em, "GET", "/faults")).reduce((n, f) => n + (f.code ? f.hits : 0), 0);

describe("submits under faults", () => {
  it("N submits with idempotency keys, each sent twice at once and retried by the client, yield exactly N jobs", async () => {
    const proxy = await startLossyProxy(t.emu.url, { dropRate: 0.3, actions: ["SubmitJob"] });
    try {
      const handler = makeJobsHandler({
        batch: fastPort(t, { endpoint: proxy.url, maxAttempts: 4 }),
        region: "ap-guangzhou",
        keys: parseApiKeys(`ci:${WRITER}:jobs:read|jobs:write`),
        logger: memoryLogger({ function: "jobs" }),
      });
      await injectFaults();
      const N = 20;
      const run = `faults-${Date.now().toString(36)}`;
      const body = (i: number) => ({
        Placement: { Zone: "ap-guangzhou-2" },
        Job: {
          JobName: `${run}-${i}`,
          Tasks: [
            {
              TaskName: "t1",
              Application: { DeliveryForm: "LOCAL", Command: "echo hi" },
              ComputeEnv: { EnvType: "MANAGED", EnvData: { InstanceType: "BS1.LARGE8", ImageId: "img-31tjrtph" } },
            },
          ],
        },
      });
      /** A client that retries 429/5xx answers with the same Idempotency-Key until it gets a JobId. */
      const submit = async (i: number): Promise<string> => {
        for (let attempt = 0; attempt < 40; attempt++) {
          const res = await handler(
            httpEvent("apigw-captured", {
              method: "POST",
              path: "/jobs",
              headers: { authorization: `Bearer ${WRITER}`, "content-type": "application/json", "idempotency-key": `${run}-key-${i}` },
              body: JSON.stringify(body(i)),
            }),
          );
          if (res.statusCode === 201) return (JSON.parse(res.body) as { JobId: string }).JobId;
          expect([429, 502, 503], res.body).toContain(res.statusCode);
          await new Promise((r) => setTimeout(r, 10));
        }
        throw new Error(`submit ${i} never succeeded`);
      };
      const ids = await Promise.all(Array.from({ length: N }, (_, i) => Promise.all([submit(i), submit(i)])));

      for (const [a, b] of ids) expect(a).toBe(b);
      expect(new Set(ids.map(([a]) => a)).size).toBe(N);
      const state = await emulatorRoute<{ jobs: JobRecord[] }>(t, "GET", "/state");
      const created = state.jobs.filter((j) => j.name.startsWith(`${run}-`));
      expect(created.map((j) => j.id).sort()).toEqual(ids.map(([a]) => a).sort());
      // The faults really happened: errors were injected and answers were lost after Batch acted.
      expect(await faultHits()).toBeGreaterThan(5);
      expect(proxy.stats.dropped).toBeGreaterThan(0);
    } finally {
      await proxy.close();
    }
  }, 60_000);
});

describe("remediation under faults", () => {
  it("converges: the abnormal nodes are replaced, only they are terminated, and the env ends at its desired healthy count", async () => {
    const port = fastPort(t, { maxAttempts: 3 });
    const { envId } = await port.createEnv({
      Placement: { Zone: "ap-guangzhou-3" },
      ComputeEnv: { EnvName: "faults-remediate", DesiredComputeNodeCount: 4, EnvData: { InstanceType: "S5.MEDIUM4", ImageId: "img-31tjrtph" } },
    });
    const healthy = async () => {
      const env = await t.port.getEnv(envId);
      return env.DesiredComputeNodeCount === 4 && env.ComputeNodeSet.length === 4 && env.ComputeNodeSet.every((n) => n.ComputeNodeState === "RUNNING") ? env : undefined;
    };
    const before = await eventually(healthy);
    const bad = before.ComputeNodeSet.slice(0, 2).map((n) => n.ComputeNodeId);
    for (const id of bad) await emulatorRoute(t, "POST", `/nodes/${id}/abnormal`);

    const logger = memoryLogger({ function: "node-abnormal" });
    const handler = makeNodeAbnormal({
      batch: port,
      policy: EnvPolicySchema.parse({ default: { maxNodes: 6 } }),
      config: { ...DEFAULT_REMEDIATION, graceSeconds: 0, cooldownSeconds: 0, maxReplacementsPerHour: 100, maxUnhealthyPercent: 60 },
      logger,
      alerter: { send: async () => {} },
      region: "ap-guangzhou",
    });
    await injectFaults();
    // SCF's timer fires again and retries failed invocations: keep invoking until the env is healthy.
    let invocations = 0;
    let failures = 0;
    await eventually(
      async () => {
        invocations++;
        await handler(timerFixture).catch(() => failures++);
        const env = await t.port.getEnv(envId);
        expect(env.DesiredComputeNodeCount).toBeLessThanOrEqual(6);
        return env.ComputeNodeSet.every((n) => !bad.includes(n.ComputeNodeId)) && (await healthy());
      },
      20_000,
      50,
    ).catch(async (e: Error) => {
      await emulatorRoute(t, "DELETE", "/faults");
      const env = await t.port.getEnv(envId);
      const audit = logger.lines.filter((l) => l.msg === "remediation").slice(-6);
      throw new Error(`${e.message}\nenv: desired ${env.DesiredComputeNodeCount}, nodes ${JSON.stringify(env.ComputeNodeSet.map((n) => [n.ComputeNodeId, n.ComputeNodeState]))}\nlast decisions: ${JSON.stringify(audit)}`);
    });
    const injected = await faultHits();
    await emulatorRoute(t, "DELETE", "/faults");
    const after = await eventually(healthy);
    expect(after.ComputeNodeSet.map((n) => n.ComputeNodeId)).toEqual(expect.arrayContaining(before.ComputeNodeSet.slice(2).map((n) => n.ComputeNodeId)));
    const destroyed = (await t.port.listEnvActivities(envId, { limit: 100 })).items.filter((a) => a.ComputeNodeActivityType === "DESTROY").map((a) => a.ComputeNodeId);
    expect(new Set(destroyed)).toEqual(new Set(bad));
    expect(invocations).toBeGreaterThan(0);
    expect(injected).toBeGreaterThan(0);
    expect(failures).toBeLessThan(invocations);
  }, 40_000);
});

describe("remediation when the restore step fails after nodes were terminated", () => {
  it("restores the desired count on the next invocation (Batch lowered it with the terminated node)", async () => {
    const port = fastPort(t, { maxAttempts: 3 });
    const { envId } = await port.createEnv({
      Placement: { Zone: "ap-guangzhou-3" },
      ComputeEnv: { EnvName: "faults-restore", DesiredComputeNodeCount: 3, EnvData: { InstanceType: "S5.MEDIUM4", ImageId: "img-31tjrtph" } },
    });
    const healthy = async () => {
      const env = await t.port.getEnv(envId);
      return env.DesiredComputeNodeCount === 3 && env.ComputeNodeSet.length === 3 && env.ComputeNodeSet.every((n) => n.ComputeNodeState === "RUNNING") ? env : undefined;
    };
    const before = await eventually(healthy);
    const bad = before.ComputeNodeSet[0]!.ComputeNodeId;
    await emulatorRoute(t, "POST", `/nodes/${bad}/abnormal`);
    const handler = makeNodeAbnormal({
      batch: port,
      policy: EnvPolicySchema.parse({ default: { maxNodes: 6 } }),
      config: { ...DEFAULT_REMEDIATION, graceSeconds: 0, cooldownSeconds: 0 },
      logger: memoryLogger({ function: "node-abnormal" }),
      alerter: { send: async () => {} },
      region: "ap-guangzhou",
    });
    // Every attempt of the restoring ModifyComputeEnv fails: the pass terminates the node, then gives up.
    await emulatorRoute(t, "POST", "/faults", { action: "ModifyComputeEnv", code: "InternalError", count: 3 });
    await expect(handler(timerFixture)).rejects.toMatchObject({ code: "remediation_incomplete" });
    expect((await t.port.getEnv(envId)).DesiredComputeNodeCount).toBe(2);
    // SCF retries (or the next timer fires): the env gets its desired count back and heals.
    await handler(timerFixture);
    const after = await eventually(healthy);
    expect(after.ComputeNodeSet.map((n) => n.ComputeNodeId)).not.toContain(bad);
  }, 30_000);
});

describe("the cost report under faults", () => {
  // An emulator of its own: nothing else changes Batch's state between the runs compared.
  let tc: TestEmulator;
  let cosDir: string;
  let now = 0;
  beforeAll(async () => {
    tc = await startTestEmulator({ exec: false });
    cosDir = mkdtempSync(join(tmpdir(), "faults-cos-"));
    const port = fastPort(tc);
    const { envId } = await port.createEnv({
      Placement: { Zone: "ap-guangzhou-2" },
      ComputeEnv: { EnvName: "faults-cost", DesiredComputeNodeCount: 2, EnvData: { InstanceType: "BS1.LARGE8", ImageId: "img-31tjrtph" } },
    });
    await eventually(async () => (await tc.port.getEnv(envId)).ComputeNodeSet.filter((n) => n.ComputeNodeState === "RUNNING").length === 2);
    const { jobId } = await port.submitJob({
      Placement: { Zone: "ap-guangzhou-2" },
      Job: { JobName: "faults-cost-job", Tasks: [{ TaskName: "t1", EnvId: envId, Application: { DeliveryForm: "LOCAL", Command: "echo" } }] },
    } as never);
    await eventually(async () => (await tc.port.getJob(jobId)).JobState === "SUCCEED");
    // Report up to ten minutes from now: the nodes run all along (the clock is fixed, nothing else changes).
    now = Date.now() + 10 * 60_000;
  });
  afterAll(async () => {
    await tc?.stop();
    rmSync(cosDir, { recursive: true, force: true });
  });

  const DEST = "cos://reports-1250000000.cos.ap-guangzhou.myqcloud.com/faults/";
  const run = async (tag: string) => {
    const window = { from: new Date(now - 2 * 3600_000).toISOString(), to: new Date(now).toISOString() };
    const handler = makeCostHandler({
      config: { prices: buildPriceTable(), budgets: { envs: {}, tags: {} }, idleAlertHours: 0, timeZone: "Asia/Shanghai" },
      batch: fastPort(tc, { maxAttempts: 2 }),
      store: createFsReportStore({ dest: `${DEST}${tag}/`, baseDir: cosDir }),
      alerter: { send: async () => {} },
      logger: memoryLogger(),
      clock: () => new Date(now),
    });
    const out = await handler(window, {});
    const file = out.files.find((f) => f.endsWith("cost-report.json"))!;
    const report = JSON.parse(readFileSync(localPathOf(DEST, cosDir, file.slice(DEST.length)), "utf8")) as CostReport;
    const md = readFileSync(localPathOf(DEST, cosDir, file.slice(DEST.length).replace(/\.json$/, ".md")), "utf8");
    return { out, report, md };
  };

  it("is complete and equal to the fault-free report, or marked partial naming the gap; never silently different", async () => {
    const clean = await run("clean");
    expect(clean.report.partial).toBe(false);
    expect(clean.report.totals.cost).toBeGreaterThan(0);

    await injectFaults(tc);
    let complete = 0;
    let partial = 0;
    let failed = 0;
    for (let i = 0; i < 8; i++) {
      try {
        const r = await run(`faulted-${i}`);
        expect(r.out.partial).toBe(r.report.partial);
        if (r.report.partial) {
          partial++;
          expect(r.report.assumptions.dataGaps.length).toBeGreaterThan(0);
          // A gap names what could not be read and why (the injected Tencent code); others may follow from it.
          expect(r.report.assumptions.dataGaps.map((g) => g.message).join("\n")).toMatch(/RequestLimitExceeded|InternalError/);
          expect(r.md).toContain("**Partial report:**");
        } else {
          complete++;
          expect(r.report.totals).toEqual(clean.report.totals);
          expect(r.report.envs).toEqual(clean.report.envs);
          expect(r.report.jobs).toEqual(clean.report.jobs);
        }
      } catch (e) {
        // No report at all (the env list could not be read): a transient error the timer retries; nothing written wrong.
        expect([429, 503], String(e)).toContain((e as { status?: number }).status);
        failed++;
      }
    }
    expect(complete + partial + failed).toBe(8);
    process.stdout.write(`cost report under faults: ${complete} complete, ${partial} partial, ${failed} refused\n`);
    expect(await faultHits(tc)).toBeGreaterThan(0);
  }, 60_000);
});
