// Event storm: 1,000 COMPUTE_NODE_ABNORMAL events over 10 envs (one abnormal node each, the
// events duplicated as a redelivery burst would). Batch calls per env, read from the
// emulator's counters, for three deliveries, each on its own 10 fresh envs:
// - baseline: one event per invocation, a cold container each time (no grouping, no memory);
// - one invocation carrying all 1,000 messages;
// - one event per invocation, all to one warm container (how a CMQ trigger usually delivers);
// the last two again on a fleet that has been up for two hours (the usual case in
// production), where the activities read is provably unneeded.
import { DEFAULT_REMEDIATION } from "../functions/node-abnormal/config";
import { makeHandler } from "../functions/node-abnormal/handler";
import { createAlerter } from "../shared/alerts";
import { createTencentBatch } from "../shared/batch/tencent-adapter";
import { EnvPolicySchema } from "../shared/env-policy";
import { createLogger } from "../shared/log";
import { eventually, startTestEmulator, TEST_SECRET_ID, TEST_SECRET_KEY, type TestEmulator } from "../test/support/emulator";

const ENVS = 10;
const NODES_PER_ENV = 3;
const EVENTS = 1000;
const REGION = "ap-guangzhou";

type Counters = Record<string, number>;

export async function run(): Promise<Record<string, unknown>> {
  const t = await startTestEmulator({ exec: false });
  try {
    // The budget is in calls; the limiter's pacing would only make the bench slow.
    const batch = createTencentBatch({
      region: REGION,
      endpoint: t.emu.url,
      credentials: () => ({ secretId: TEST_SECRET_ID, secretKey: TEST_SECRET_KEY }),
      rates: Object.fromEntries(
        ["DescribeComputeEnv", "DescribeComputeEnvs", "DescribeComputeEnvActivities", "TerminateComputeNodes", "ModifyComputeEnv"].map((a) => [a, Number.POSITIVE_INFINITY]),
      ),
      retry: { baseMs: 5, capMs: 20 },
    });
    const logger = createLogger({ function: "node-abnormal", bench: "event-storm" }, { sink: () => {} });
    const newHandler = () =>
      makeHandler({
        batch,
        policy: EnvPolicySchema.parse({}),
        config: { ...DEFAULT_REMEDIATION, graceSeconds: 0 },
        logger,
        alerter: createAlerter({ logger, source: "node-abnormal" }),
        region: REGION,
      });

    const baseline = await scenario(t, "baseline", async (records) => {
      for (const r of records) await newHandler()({ Records: [r] });
    });
    const oneInvocation = await scenario(t, "one", async (records) => {
      await newHandler()({ Records: records });
    });
    const warmDelivery = async (records: Array<{ CMQ: Record<string, unknown> }>) => {
      const handler = newHandler();
      for (const r of records) await handler({ Records: [r] });
    };
    const oneDelivery = async (records: Array<{ CMQ: Record<string, unknown> }>) => {
      await newHandler()({ Records: records });
    };
    const warm = await scenario(t, "warm", warmDelivery);
    const steadyOne = await scenario(t, "steady-one", oneDelivery, { agedSeconds: 7200 });
    const steadyWarm = await scenario(t, "steady-warm", warmDelivery, { agedSeconds: 7200 });

    return {
      envs: ENVS,
      events: EVENTS,
      target_calls_per_env: 3,
      baseline_cold_container_per_event: baseline,
      one_invocation: { ...oneInvocation, ratio_vs_baseline: ratio(oneInvocation, baseline) },
      warm_container_per_event: { ...warm, ratio_vs_baseline: ratio(warm, baseline) },
      steady_fleet_one_invocation: { ...steadyOne, ratio_vs_baseline: ratio(steadyOne, baseline) },
      steady_fleet_warm_container_per_event: { ...steadyWarm, ratio_vs_baseline: ratio(steadyWarm, baseline) },
      note: "a replacement costs DescribeComputeEnv + TerminateComputeNodes + ModifyComputeEnv (restore desired) per env, plus DescribeComputeEnvActivities (cooldown, cap, Batch's own RECREATE) when the env changed within the last hour: 3 calls on a settled fleet, 4 on envs created minutes ago; later events about the same nodes cost 0 in a warm container and 1 read in a cold one",
    };
  } finally {
    await t.stop();
  }
}

async function scenario(
  t: TestEmulator,
  name: string,
  deliver: (records: Array<{ CMQ: Record<string, unknown> }>) => Promise<void>,
  opts: { agedSeconds?: number } = {},
): Promise<{ calls_per_env: number; calls: Counters; ms: number; envs_back_to_desired: number }> {
  const envIds: string[] = [];
  for (let i = 0; i < ENVS; i++) {
    const { envId } = await t.port.createEnv({
      Placement: { Zone: "ap-guangzhou-3" },
      ComputeEnv: {
        EnvName: `storm-${name}-${i}`,
        DesiredComputeNodeCount: NODES_PER_ENV,
        EnvData: { InstanceType: "S5.MEDIUM4", ImageId: "img-31tjrtph" },
        Notifications: [{ TopicName: "batch-events", EventConfigs: [{ EventName: "COMPUTE_NODE_ABNORMAL", EventVars: [] }] }],
      },
    });
    envIds.push(envId);
  }
  for (const envId of envIds) {
    await eventually(async () => {
      const e = await t.port.getEnv(envId);
      return e.ComputeNodeSet.length === NODES_PER_ENV && e.ComputeNodeSet.every((n) => n.ComputeNodeState === "RUNNING");
    });
  }
  if (opts.agedSeconds) await age(t, envIds, opts.agedSeconds * 1000);
  const bad: string[] = [];
  for (const envId of envIds) {
    const env = await eventually(async () => {
      const e = await t.port.getEnv(envId);
      return e.ComputeNodeSet.length === NODES_PER_ENV && e.ComputeNodeSet.every((n) => n.ComputeNodeState === "RUNNING") ? e : undefined;
    });
    const nodeId = env.ComputeNodeSet[0]!.ComputeNodeId;
    await emulator(t, "POST", `/nodes/${nodeId}/abnormal`);
    bad.push(nodeId);
  }
  // The messages Batch published for those nodes, redelivered until there are 1,000.
  const bodies = bad.map((id) => t.published.find((p) => p.body.includes(id) && p.body.includes("COMPUTE_NODE_ABNORMAL"))!.body);
  const records = Array.from({ length: EVENTS }, (_, i) => ({
    CMQ: { type: "topic", topicOwner: 1250000000, topicName: "batch-events", subscriptionName: "node-abnormal", msgId: `${name}-${i}`, msgBody: bodies[i % bodies.length] },
  }));

  await emulator(t, "DELETE", "/counters");
  const started = performance.now();
  await deliver(records);
  const ms = Math.round(performance.now() - started);
  const calls = (await emulator(t, "GET", "/counters")) as Counters;

  let back = 0;
  for (const envId of envIds) {
    const ok = await eventually(async () => {
      const e = await t.port.getEnv(envId);
      return e.DesiredComputeNodeCount === NODES_PER_ENV &&
        e.ComputeNodeSet.length === NODES_PER_ENV &&
        e.ComputeNodeSet.every((n) => n.ComputeNodeState === "RUNNING" && !bad.includes(n.ComputeNodeId))
        ? true
        : undefined;
    }, 10_000).catch(() => false);
    if (ok) back++;
  }
  const total = Object.values(calls).reduce((a, b) => a + b, 0);
  return { calls_per_env: total / ENVS, calls, ms, envs_back_to_desired: back };
}

/** Moves the envs' node creations and activities back in time, through the emulator's state routes. */
async function age(t: TestEmulator, envIds: string[], ms: number): Promise<void> {
  type State = {
    envs: Array<{ id: string; createdAt: number; nodes: Array<{ createdAt: number }> }>;
    activities: Array<{ EnvId: string; StartTime: string; EndTime: string | null }>;
  };
  const state = (await emulator(t, "GET", "/state")) as State;
  const back = (s: string) => new Date(Date.parse(s) - ms).toISOString().replace(/\.\d{3}Z$/, "Z");
  for (const env of state.envs) {
    if (!envIds.includes(env.id)) continue;
    env.createdAt -= ms;
    for (const n of env.nodes) n.createdAt -= ms;
  }
  for (const a of state.activities) {
    if (!envIds.includes(a.EnvId)) continue;
    a.StartTime = back(a.StartTime);
    if (a.EndTime) a.EndTime = back(a.EndTime);
  }
  await emulator(t, "PUT", "/state", state);
}

const ratio = (x: { calls_per_env: number }, base: { calls_per_env: number }) => Number((x.calls_per_env / base.calls_per_env).toFixed(4));

async function emulator(t: TestEmulator, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${t.emu.url}/_emulator${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status}`);
  return res.json();
}
