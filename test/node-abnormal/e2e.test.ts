// node-abnormal end to end: the handler in-process, its Batch port pointed at the local
// emulator (real SDK, real wire), events as Batch published them, wrapped in the CMQ
// envelope of the fixture; outcomes read back from Batch and the emulator's counters.
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_REMEDIATION, type RemediationConfig } from "../../functions/node-abnormal/config";
import { makeHandler } from "../../functions/node-abnormal/handler";
import { createAlerter } from "../../shared/alerts";
import { EnvPolicySchema } from "../../shared/env-policy";
import { memoryLogger } from "../../shared/log";
import { eventually, startTestEmulator, type TestEmulator } from "../support/emulator";

type CmqFixture = { Records: Array<{ CMQ: Record<string, unknown> }> };
const fixture = JSON.parse(readFileSync(join(__dirname, "../fixtures/cmq-batch-node-event.json"), "utf8")) as CmqFixture;
const timerFixture = JSON.parse(readFileSync(join(__dirname, "../fixtures/timer.json"), "utf8")) as unknown;

let t: TestEmulator;
let hook: { server: Server; url: string; alerts: Array<Record<string, unknown>> };

beforeAll(async () => {
  t = await startTestEmulator();
  const alerts: Array<Record<string, unknown>> = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      alerts.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  hook = { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`, alerts };
});
afterAll(async () => {
  await t?.stop();
  await new Promise((r) => hook?.server.close(r));
});
beforeEach(async () => {
  await route("DELETE", "/counters");
  hook.alerts.length = 0;
});

async function route(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${t.emu.url}/_emulator${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}
const counters = async () => (await route("GET", "/counters")) as Record<string, number>;
const totalCalls = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);

function harness(config: Partial<RemediationConfig> = {}, policy: unknown = {}) {
  const logger = memoryLogger({ function: "node-abnormal" });
  const handler = makeHandler({
    batch: t.port,
    policy: EnvPolicySchema.parse(policy),
    config: { ...DEFAULT_REMEDIATION, graceSeconds: 0, cooldownSeconds: 0, ...config },
    logger,
    alerter: createAlerter({ webhookUrl: hook.url, logger, source: "node-abnormal" }),
    region: "ap-guangzhou",
  });
  const audit = () => logger.lines.filter((l) => l.msg === "remediation");
  return { handler, logger, audit };
}

let seq = 0;
async function createEnv(desired: number, tags: Array<{ Key: string; Value: string }> = []): Promise<string> {
  const { envId } = await t.port.createEnv({
    Placement: { Zone: "ap-guangzhou-3" },
    ComputeEnv: {
      EnvName: `remediate-${++seq}`,
      DesiredComputeNodeCount: desired,
      EnvData: { InstanceType: "S5.MEDIUM4", ImageId: "img-31tjrtph" },
      Notifications: [{ TopicName: "batch-events", EventConfigs: [{ EventName: "COMPUTE_NODE_ABNORMAL", EventVars: [] }] }],
      ...(tags.length ? { Tags: tags } : {}),
    },
  });
  await healthy(envId, desired);
  return envId;
}

/** Waits until the env holds `desired` RUNNING nodes and nothing else. */
async function healthy(envId: string, desired: number) {
  return eventually(async () => {
    const env = await t.port.getEnv(envId);
    const ok =
      env.DesiredComputeNodeCount === desired &&
      env.ComputeNodeSet.length === desired &&
      env.ComputeNodeSet.every((n) => n.ComputeNodeState === "RUNNING");
    return ok ? env : undefined;
  });
}

/** Moves the envs' node creations and activities back in time, through the emulator's state routes. */
async function ageEnvs(envIds: string[], ms: number) {
  type State = {
    envs: Array<{ id: string; createdAt: number; nodes: Array<{ createdAt: number }> }>;
    activities: Array<{ EnvId: string; StartTime: string; EndTime: string | null }>;
  };
  const state = (await route("GET", "/state")) as unknown as State;
  const back = (s: string) => new Date(Date.parse(s) - ms).toISOString().replace(/\.\d{3}Z$/, "Z");
  for (const env of state.envs.filter((e) => envIds.includes(e.id))) {
    env.createdAt -= ms;
    for (const n of env.nodes) n.createdAt -= ms;
  }
  for (const a of state.activities.filter((x) => envIds.includes(x.EnvId))) {
    a.StartTime = back(a.StartTime);
    if (a.EndTime) a.EndTime = back(a.EndTime);
  }
  await route("PUT", "/state", state);
}

const nodeIds = async (envId: string) => (await t.port.getEnv(envId)).ComputeNodeSet.map((n) => n.ComputeNodeId);
const markAbnormal = (nodeId: string) => route("POST", `/nodes/${nodeId}/abnormal`);

/** The COMPUTE_NODE_ABNORMAL messages Batch published for these nodes, in the CMQ envelope. */
function cmqEventFor(nodes: string[]): CmqFixture {
  const bodies = t.published.filter((p) => nodes.some((n) => p.body.includes(n)) && p.body.includes("COMPUTE_NODE_ABNORMAL"));
  expect(bodies.length).toBeGreaterThanOrEqual(nodes.length);
  return {
    Records: bodies.map((p, i) => ({ CMQ: { ...fixture.Records[0]!.CMQ, msgId: `msg-${nodes[0]}-${i}`, msgBody: p.body } })),
  };
}

describe("node-abnormal on the local stack", () => {
  it("replaces an abnormal node and the env returns to its desired healthy capacity", async () => {
    const envId = await createEnv(3);
    const [bad] = await nodeIds(envId);
    await markAbnormal(bad!);
    const { handler, audit } = harness();

    const summary = await handler(cmqEventFor([bad!]), { request_id: "req-1" });

    expect(summary.envs).toEqual([{ env: envId, outcome: "done", decisions: { replaced: [bad] } }]);
    const env = await healthy(envId, 3);
    expect(env.ComputeNodeSet.map((n) => n.ComputeNodeId)).not.toContain(bad);
    expect(audit()).toEqual([
      expect.objectContaining({
        env: envId,
        nodes: [bad],
        decision: "replaced",
        request_id: "req-1",
        inputs: expect.objectContaining({ desired: 3, abnormal: 1, healthy: 2 }),
      }),
    ]);
    const c = await counters();
    expect(c.TerminateComputeNodes).toBe(1);
    expect(c.ModifyComputeEnv).toBe(1);
    // A just-created env: its activities are read (cooldown, cap, Batch's own RECREATE).
    expect(c.DescribeComputeEnvActivities).toBe(1);
  });

  it("replaces once when the same event is delivered three times, to warm and cold containers", async () => {
    const envId = await createEnv(2);
    const [bad] = await nodeIds(envId);
    await markAbnormal(bad!);
    const event = cmqEventFor([bad!]);
    const warm = harness();
    await route("DELETE", "/counters");

    const first = await warm.handler(event);
    const second = await warm.handler(event);
    const cold = await harness().handler(event);

    expect(first.envs[0]!.decisions).toEqual({ replaced: [bad] });
    // The warm container terminated that node itself: no call at all.
    expect(second).toMatchObject({ stale: [envId], envs: [] });
    expect(warm.audit().at(-1)).toMatchObject({ decision: "skipped:already-replaced", nodes: [bad] });
    // A new container reads the truth: the node is being terminated already.
    expect(cold.envs[0]!.decisions).toEqual({ "skipped:not-abnormal": [bad] });
    const c = await counters();
    expect(c.TerminateComputeNodes).toBe(1);
    expect(c.ModifyComputeEnv).toBe(1);
    expect(c.DescribeComputeEnv).toBe(2);
    await healthy(envId, 2);
  });

  it("ignores an ABNORMAL event delivered after the node recovered (out of order)", async () => {
    const envId = await createEnv(2);
    const [flaky] = await nodeIds(envId);
    await markAbnormal(flaky!);
    await route("POST", `/nodes/${flaky}/healthy`);
    const summary = await harness().handler(cmqEventFor([flaky!]));
    expect(summary.envs[0]!.decisions).toEqual({ "skipped:not-abnormal": [flaky] });
    expect((await counters()).TerminateComputeNodes).toBeUndefined();
  });

  it("short-circuits when most of an env is abnormal: nothing is terminated, an alert goes out", async () => {
    const envId = await createEnv(4);
    const ids = await nodeIds(envId);
    const broken = ids.slice(0, 3);
    for (const id of broken) await markAbnormal(id);
    // A wide skew allowance: every redelivery is read again, as new events would be.
    const { handler, audit, logger } = harness({ eventSkewSeconds: 3600 });

    const summary = await handler(cmqEventFor(broken));

    expect(summary.envs[0]!.decisions["skipped:short-circuit"]?.sort()).toEqual([...broken].sort());
    const env = await t.port.getEnv(envId);
    expect(env.ComputeNodeSet.filter((n) => n.ComputeNodeState === "ABNORMAL")).toHaveLength(3);
    expect(env.DesiredComputeNodeCount).toBe(4);
    const c = await counters();
    expect(c.TerminateComputeNodes).toBeUndefined();
    expect(c.ModifyComputeEnv).toBeUndefined();
    expect(hook.alerts).toEqual([
      expect.objectContaining({ source: "node-abnormal", kind: "remediation.short-circuit", severity: "critical", details: expect.objectContaining({ env: envId, unhealthy: 3 }) }),
    ]);
    expect(audit()[0]).toMatchObject({ decision: "skipped:short-circuit", inputs: { desired: 4, shortCircuitAbove: 1.8 } });

    // One ABNORMAL event per broken node keeps coming: still short-circuited, alerted once.
    for (const r of cmqEventFor(broken).Records) await handler({ Records: [r] });
    expect(audit().filter((l) => l.decision === "skipped:short-circuit")).toHaveLength(4);
    expect(hook.alerts).toHaveLength(1);
    expect(logger.lines.filter((l) => l.msg === "alert repeated, not sent again")).toHaveLength(3);
  });

  it("leaves a node younger than the startup grace alone", async () => {
    const envId = await createEnv(2);
    const [young] = await nodeIds(envId);
    await markAbnormal(young!);
    // EventTime has second precision: with no skew allowance the event is always older than the read.
    const { handler } = harness({ graceSeconds: 600, eventSkewSeconds: 0 });
    const summary = await handler(cmqEventFor([young!]));
    expect(summary.envs[0]!.decisions).toEqual({ "skipped:grace": [young] });
    await route("DELETE", "/counters");
    // Delivered again to the same container: it already read the env after that event.
    expect(await handler(cmqEventFor([young!]))).toMatchObject({ stale: [envId], envs: [] });
    expect(await counters()).toEqual({});
    expect((await t.port.getEnv(envId)).ComputeNodeSet.find((n) => n.ComputeNodeId === young)?.ComputeNodeState).toBe("ABNORMAL");
    expect((await counters()).TerminateComputeNodes).toBeUndefined();
  });

  it("honours the opt-out tag and DRY_RUN: nothing changes", async () => {
    const optedOut = await createEnv(2, [{ Key: "batch-scf/remediation", Value: "off" }]);
    const dry = await createEnv(2);
    const [a] = await nodeIds(optedOut);
    const [b] = await nodeIds(dry);
    await markAbnormal(a!);
    await markAbnormal(b!);
    expect((await harness().handler(cmqEventFor([a!]))).envs[0]!.decisions).toEqual({ "skipped:opt-out": [a] });
    const dryRun = harness({ dryRun: true });
    expect((await dryRun.handler(cmqEventFor([b!]))).envs[0]!.decisions).toEqual({ "dry-run": [b] });
    expect(dryRun.audit()[0]).toMatchObject({ decision: "dry-run", actions: [{ kind: "terminate", nodeIds: [b] }, { kind: "set-desired", desired: 2 }] });
    const c = await counters();
    expect(c.TerminateComputeNodes).toBeUndefined();
    expect(c.ModifyComputeEnv).toBeUndefined();
  });

  it("in surge mode raises desired first and ends at the desired count, within maxNodes", async () => {
    const envId = await createEnv(2);
    const [bad] = await nodeIds(envId);
    await markAbnormal(bad!);
    const summary = await harness({ mode: "surge" }, { default: { maxNodes: 3 } }).handler(cmqEventFor([bad!]));
    expect(summary.envs[0]!.decisions).toEqual({ replaced: [bad] });
    const env = await healthy(envId, 2);
    expect(env.ComputeNodeSet.map((n) => n.ComputeNodeId)).not.toContain(bad);
  });

  it("a timer sweep replaces abnormal nodes whose events were missed", async () => {
    const envId = await createEnv(2);
    const [bad] = await nodeIds(envId);
    await markAbnormal(bad!);
    const summary = await harness().handler(timerFixture);
    expect(summary.envs.find((e) => e.env === envId)?.decisions).toEqual({ replaced: [bad] });
    await healthy(envId, 2);
  });

  it("drops poison messages by msgId; a transient Batch failure throws so SCF retries, and the retry succeeds", async () => {
    const envId = await createEnv(2);
    const [bad] = await nodeIds(envId);
    await markAbnormal(bad!);
    const event = cmqEventFor([bad!]);
    event.Records.push({ CMQ: { ...fixture.Records[0]!.CMQ, msgId: "poison-1", msgBody: "%%% not json" } });
    const { handler, logger } = harness();

    await route("POST", "/faults", { action: "DescribeComputeEnv", code: "InternalError", count: 5 });
    await expect(handler(event)).rejects.toMatchObject({ code: "remediation_incomplete", status: 503 });
    await route("DELETE", "/faults");
    expect(logger.lines.filter((l) => l.msg === "poison message dropped")).toEqual([expect.objectContaining({ msgId: "poison-1", level: "error" })]);

    const retried = await handler(event);
    expect(retried.poison).toBe(1);
    expect(retried.envs[0]!.decisions).toEqual({ replaced: [bad] });
    await healthy(envId, 2);
  });

  it("when the desired count cannot be restored after a termination, alerts (critical) and throws for a retry", async () => {
    const envId = await createEnv(2);
    const [bad] = await nodeIds(envId);
    await markAbnormal(bad!);
    const { handler, audit } = harness();
    await route("POST", "/faults", { action: "ModifyComputeEnv", code: "UnsupportedOperation.ComputeEnvOperation", count: 1 });

    await expect(handler(cmqEventFor([bad!]))).rejects.toMatchObject({ code: "remediation_incomplete" });

    expect(hook.alerts).toEqual([expect.objectContaining({ kind: "remediation.capacity", severity: "critical", details: expect.objectContaining({ env: envId, desired: 2 }) })]);
    expect(audit().at(-1)).toMatchObject({ level: "error", decision: "failed", nodes: [bad], code: "UnsupportedOperation.ComputeEnvOperation" });
    expect((await t.port.getEnv(envId)).DesiredComputeNodeCount).toBe(1);
    await route("DELETE", "/faults");
  });

  it("a storm of events costs a bounded number of Batch calls per env, not per event", async () => {
    const envs = await Promise.all([createEnv(2), createEnv(2), createEnv(2), createEnv(2)]);
    // A fleet that has been up for two hours: nothing in its activities can matter.
    await ageEnvs(envs, 7_200_000);
    const bad: string[] = [];
    for (const envId of envs) {
      const [id] = await nodeIds(envId);
      await markAbnormal(id!);
      bad.push(id!);
    }
    const one = cmqEventFor(bad);
    const storm = { Records: Array.from({ length: 100 }, (_, i) => one.Records[i % one.Records.length]!) };
    await route("DELETE", "/counters");

    const container = harness();
    const summary = await container.handler(storm);

    expect(summary.events).toBe(100);
    expect(summary.envs.map((e) => Object.keys(e.decisions))).toEqual(envs.map(() => ["replaced"]));
    const c = await counters();
    // Per env: DescribeComputeEnv, TerminateComputeNodes, ModifyComputeEnv.
    expect(c).toEqual({ DescribeComputeEnv: envs.length, TerminateComputeNodes: envs.length, ModifyComputeEnv: envs.length });
    expect(totalCalls(c) / envs.length).toBe(3);
    for (const envId of envs) await healthy(envId, 2);

    // Redelivered, one message per invocation, to the container that handled it: no call at all.
    await route("DELETE", "/counters");
    for (const r of storm.Records) await container.handler({ Records: [r] });
    expect(await counters()).toEqual({});
  });
});

describe("Batch's own RECREATE comes first", () => {
  let fast: TestEmulator;
  beforeAll(async () => {
    fast = await startTestEmulator({ timings: { abnormalRecreateMs: 50 } });
  });
  afterAll(async () => fast?.stop());

  it("does not fight it: a node Batch recreated is not terminated again", async () => {
    const { envId } = await fast.port.createEnv({
      Placement: { Zone: "ap-guangzhou-3" },
      ComputeEnv: {
        EnvName: "recreate",
        DesiredComputeNodeCount: 2,
        EnvData: { InstanceType: "S5.MEDIUM4", ImageId: "img-31tjrtph" },
        Notifications: [{ TopicName: "batch-events", EventConfigs: [{ EventName: "ComputeNodeAbnormal", EventVars: [] }] }],
      },
    });
    const running = await eventually(async () => {
      const env = await fast.port.getEnv(envId);
      return env.ComputeNodeSet.length === 2 && env.ComputeNodeSet.every((n) => n.ComputeNodeState === "RUNNING") ? env : undefined;
    });
    const bad = running.ComputeNodeSet[0]!.ComputeNodeId;
    await fetch(`${fast.emu.url}/_emulator/nodes/${bad}/abnormal`, { method: "POST" });
    await eventually(async () => {
      const acts = await fast.port.listEnvActivities(envId, { nodeId: bad });
      return acts.items.some((a) => a.ComputeNodeActivityType === "DESTROY" && /RECREATE/.test(a.Cause ?? ""));
    });
    const body = fast.published.find((p) => p.body.includes(bad) && p.body.includes("COMPUTE_NODE_ABNORMAL"))!.body;
    const logger = memoryLogger();
    const handler = makeHandler({
      batch: fast.port,
      policy: EnvPolicySchema.parse({}),
      config: { ...DEFAULT_REMEDIATION, graceSeconds: 0 },
      logger,
      alerter: createAlerter({ logger, source: "node-abnormal" }),
      region: "ap-guangzhou",
    });
    const summary = await handler({ Records: [{ CMQ: { ...fixture.Records[0]!.CMQ, msgBody: body } }] });
    expect(summary.envs[0]!.decisions).toEqual({ "skipped:not-abnormal": [bad] });
    const c = (await (await fetch(`${fast.emu.url}/_emulator/counters`)).json()) as Record<string, number>;
    expect(c.TerminateComputeNodes).toBeUndefined();
  });
});
