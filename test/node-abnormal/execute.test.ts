// The executor's failure handling, over an in-memory Batch port (passed in as a dependency).
import { describe, expect, it } from "vitest";
import { DEFAULT_REMEDIATION } from "../../functions/node-abnormal/config";
import { makeHandler } from "../../functions/node-abnormal/handler";
import type { Alert } from "../../shared/alerts";
import type { ComputeEnv } from "../../shared/batch/models";
import { EnvPolicySchema } from "../../shared/env-policy";
import { AppError } from "../../shared/errors";
import { memoryLogger } from "../../shared/log";
import { ago } from "./support";

/** A Batch that holds one env, lowers desired on termination, and refuses the n-th TerminateComputeNodes. */
function memoryBatch(nodes: number, abnormal: number, failTerminateCall: number, failDesired?: AppError) {
  const env = {
    EnvId: "env-memory01",
    EnvName: "memory",
    Placement: { Zone: "ap-guangzhou-3" },
    CreateTime: ago(7200),
    DesiredComputeNodeCount: nodes,
    ComputeNodeMetrics: { SubmittedCount: 0, CreatingCount: 0, CreationFailedCount: 0, CreatedCount: 0, RunningCount: 0, DeletingCount: 0, AbnormalCount: abnormal },
    AttachedComputeNodeCount: 0,
    RequestId: "r",
    ComputeNodeSet: Array.from({ length: nodes }, (_, i) => ({
      ComputeNodeId: `node-${String(i).padStart(8, "0")}`,
      ComputeNodeState: i < abnormal ? "ABNORMAL" : "RUNNING",
      Cpu: 2,
      Mem: 4,
      ResourceCreatedTime: ago(7200),
      TaskInstanceNumAvailable: 1,
    })),
  } as ComputeEnv;
  let terminateCalls = 0;
  const calls: string[] = [];
  return {
    env,
    calls,
    batch: {
      getEnv: async () => structuredClone(env),
      listEnvs: async () => ({ items: [env], total: 1 }),
      listEnvActivities: async () => ({ items: [], total: 0 }),
      async terminateNodes(_envId: string, ids: string[]) {
        calls.push(`terminate:${ids.length}`);
        if (++terminateCalls === failTerminateCall) throw new AppError("batch.InternalError", "Batch TerminateComputeNodes failed: InternalError", { status: 503 });
        for (const n of env.ComputeNodeSet) if (ids.includes(n.ComputeNodeId)) n.ComputeNodeState = "DELETING";
        env.DesiredComputeNodeCount -= ids.length;
        return { requestId: "r" };
      },
      async setDesiredNodes(_envId: string, desired: number) {
        calls.push(`desired:${desired}`);
        if (failDesired) throw failDesired;
        env.DesiredComputeNodeCount = desired;
        return { requestId: "r" };
      },
    },
  };
}

const event = { Type: "Timer", TriggerName: "sweep", Time: "2026-03-02T12:00:00Z", Message: "" };

function handlerFor(m: ReturnType<typeof memoryBatch>, mode: "replace" | "surge") {
  const alerts: Alert[] = [];
  const handler = makeHandler({
    batch: m.batch,
    policy: EnvPolicySchema.parse({ default: { maxNodes: 1000 } }),
    config: { ...DEFAULT_REMEDIATION, mode, maxReplacementsPerHour: 1000, maxUnhealthyPercent: 100 },
    logger: memoryLogger(),
    alerter: { send: async (a) => void alerts.push(a) },
    region: "ap-guangzhou",
  });
  return { handler, alerts };
}

describe("remediation executor on failure", () => {
  it("replace: when a later termination call fails, still holds the desired count, then throws for a retry", async () => {
    const m = memoryBatch(300, 150, 2);
    const { handler } = handlerFor(m, "replace");
    await expect(handler(event)).rejects.toMatchObject({ code: "remediation_incomplete" });
    expect(m.calls).toEqual(["terminate:100", "terminate:50", "desired:300"]);
    expect(m.env.DesiredComputeNodeCount).toBe(300);
  });

  it("surge: when the termination fails, takes the surge back", async () => {
    const m = memoryBatch(10, 2, 1);
    const { handler } = handlerFor(m, "surge");
    await expect(handler(event)).rejects.toMatchObject({ code: "remediation_incomplete" });
    expect(m.calls).toEqual(["desired:12", "terminate:2", "desired:10"]);
    expect(m.env.DesiredComputeNodeCount).toBe(10);
  });

  it("replace: a clean pass terminates in chunks and restores once", async () => {
    const m = memoryBatch(300, 150, 0);
    const { handler, alerts } = handlerFor(m, "replace");
    const summary = await handler(event);
    expect(summary.envs[0]!.decisions.replaced).toHaveLength(150);
    expect(m.calls).toEqual(["terminate:100", "terminate:50", "desired:300"]);
    expect(alerts).toEqual([]);
  });
});

describe("restoring a desired count a failed pass left lowered", () => {
  const quota = new AppError("batch.LimitExceeded.CpuQuota", "Batch ModifyComputeEnv failed: LimitExceeded.CpuQuota", { status: 422, tencentCode: "LimitExceeded.CpuQuota" });

  it("a refused restore is alerted once and dropped: later invocations do not fail for it", async () => {
    const m = memoryBatch(10, 1, 0, quota);
    const { handler, alerts } = handlerFor(m, "replace");
    await expect(handler(event)).rejects.toMatchObject({ code: "remediation_incomplete" });
    expect(m.calls).toEqual(["terminate:1", "desired:10"]);
    // The next invocation tries the restore once more, is refused, alerts, and still succeeds.
    await expect(handler(event)).resolves.toMatchObject({ poison: 0 });
    expect(m.calls).toEqual(["terminate:1", "desired:10", "desired:10"]);
    // One critical alert: the repeat within ALERT_REPEAT_SECONDS is logged, not sent again.
    expect(alerts.filter((a) => a.kind === "remediation.capacity")).toHaveLength(1);
    await handler(event);
    expect(m.calls).toHaveLength(3);
  });

  it("nothing is restored later when no node was terminated, nor over an operator's change", async () => {
    const m = memoryBatch(10, 2, 1);
    const { handler } = handlerFor(m, "replace");
    await expect(handler(event)).rejects.toMatchObject({ code: "remediation_incomplete" });
    expect(m.calls).toEqual(["terminate:2"]);
    // The operator fixes the nodes and scales down; nothing here may undo that.
    for (const n of m.env.ComputeNodeSet) n.ComputeNodeState = "RUNNING";
    m.env.DesiredComputeNodeCount = 5;
    await handler(event);
    expect(m.calls).toEqual(["terminate:2"]);
    expect(m.env.DesiredComputeNodeCount).toBe(5);
  });
});
