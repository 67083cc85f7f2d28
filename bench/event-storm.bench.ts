// Event storm: 1,000 COMPUTE_NODE_ABNORMAL events over 10 envs (one abnormal node each, the
// events duplicated as a redelivery burst would). Batch calls per env, read from the
// emulator's counters, for three deliveries, each on its own 10 fresh envs:
// - baseline: one event per invocation, a cold container each time (no grouping, no memory);
// - one invocation carrying all 1,000 messages;
// - one event per invocation, all to one warm container (how a CMQ trigger usually delivers);
// the last two again on a fleet that has been up for two hours (the usual case in
// production), where the activities read is provably unneeded.
// Then why the 4th call (DescribeComputeEnvActivities) stays on envs changed within the hour:
// on 10 more envs, one container replaces a node in each; a minute later a second node goes
// abnormal and another container (no memory of the first, as another SCF instance) gets the
// events. It reads the activities and holds back (cooldown); the same events given to a container
// whose activities read answers nothing (what a 3-call pass would know), in dry run, would replace
// the second node within seconds of the first. Its snapshot alone cannot tell this env from one
// created minutes ago: every node settled, as many as desired, the youngest minutes old.
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
    const why = await cooldownHeldByActivities(t, newHandler, (batchPort) =>
      makeHandler({
        batch: batchPort,
        policy: EnvPolicySchema.parse({}),
        config: { ...DEFAULT_REMEDIATION, graceSeconds: 0, dryRun: true },
        logger,
        alerter: createAlerter({ logger, source: "node-abnormal" }),
        region: REGION,
      }),
    batch);

    return {
      envs: ENVS,
      events: EVENTS,
      target_calls_per_env: 3,
      baseline_cold_container_per_event: baseline,
      one_invocation: { ...oneInvocation, ratio_vs_baseline: ratio(oneInvocation, baseline) },
      warm_container_per_event: { ...warm, ratio_vs_baseline: ratio(warm, baseline) },
      steady_fleet_one_invocation: { ...steadyOne, ratio_vs_baseline: ratio(steadyOne, baseline) },
      steady_fleet_warm_container_per_event: { ...steadyWarm, ratio_vs_baseline: ratio(steadyWarm, baseline) },
      calls_per_env_changed_within_the_hour: oneInvocation.calls_per_env,
      calls_per_env_settled_fleet: steadyOne.calls_per_env,
      why_the_fourth_read: why,
      note: "a replacement costs DescribeComputeEnv + TerminateComputeNodes + ModifyComputeEnv (restore desired) per env, plus DescribeComputeEnvActivities (cooldown, cap, Batch's own RECREATE) when the env changed within the last hour: 3 calls on a settled fleet, 4 on envs created minutes ago; later events about the same nodes cost 0 in a warm container and 1 read in a cold one",
    };
  } finally {
    await t.stop();
  }
}

async function scenario(
  t: TestEmulator,
  name: string,
  deliver: (records: Records) => Promise<void>,
  opts: { agedSeconds?: number } = {},
): Promise<{ calls_per_env: number; calls: Counters; ms: number; envs_back_to_desired: number }> {
  const envIds = await freshEnvs(t, name);
  if (opts.agedSeconds) await age(t, envIds, opts.agedSeconds * 1000);
  const { bad, records } = await abnormalRecords(t, name, envIds);

  await emulator(t, "DELETE", "/counters");
  const started = performance.now();
  await deliver(records);
  const ms = Math.round(performance.now() - started);
  const calls = (await emulator(t, "GET", "/counters")) as Counters;
  const back = await backToDesired(t, envIds, bad);
  const total = Object.values(calls).reduce((a, b) => a + b, 0);
  return { calls_per_env: total / ENVS, calls, ms, envs_back_to_desired: back };
}

type Records = Array<{ CMQ: Record<string, unknown> }>;
type Handler = ReturnType<typeof makeHandler>;

/**
 * Envs changed within the hour, a second container: node A of each env replaced by container 1;
 * once the env is back to desired, node B goes abnormal. Container 2 gets B's events twice: first
 * in dry run with its activities read answering nothing (what a pass without that read would
 * decide), then for real.
 */
async function cooldownHeldByActivities(
  t: TestEmulator,
  newHandler: () => Handler,
  blindDryRun: (batch: Parameters<typeof makeHandler>[0]["batch"]) => Handler,
  batch: Parameters<typeof makeHandler>[0]["batch"],
): Promise<Record<string, unknown>> {
  const envIds = await freshEnvs(t, "why");
  const first = await abnormalRecords(t, "why-a", envIds);
  await newHandler()({ Records: first.records });
  const firstAt = Date.now();
  await backToDesired(t, envIds, first.bad);
  const second = await abnormalRecords(t, "why-b", envIds, first.bad);

  // The snapshot a pass reads first, for each env: what it shows without the activities.
  const shape = { settled_and_as_many_as_desired: 0, youngest_node_age_s: [] as number[] };
  for (const envId of envIds) {
    const e = await t.port.getEnv(envId);
    const running = e.ComputeNodeSet.filter((n) => ["RUNNING", "CREATED", "ABNORMAL"].includes(n.ComputeNodeState));
    if (running.length === e.ComputeNodeSet.length && e.ComputeNodeSet.length === e.DesiredComputeNodeCount) shape.settled_and_as_many_as_desired++;
    const youngest = Math.min(...e.ComputeNodeSet.map((n) => Date.now() - Date.parse(n.ResourceCreatedTime ?? "")));
    shape.youngest_node_age_s.push(Math.round(youngest / 1000));
  }

  const blind = { ...batch, listEnvActivities: async () => ({ items: [], total: 0 }) };
  const without = await blindDryRun(blind)({ Records: second.records });
  await emulator(t, "DELETE", "/counters");
  const withRead = await newHandler()({ Records: second.records });
  const calls = (await emulator(t, "GET", "/counters")) as Counters;
  const secondsSinceFirst = Math.round((Date.now() - firstAt) / 1000);
  const tally = (s: Awaited<ReturnType<Handler>>) => {
    const out: Record<string, number> = {};
    for (const e of s.envs) for (const [d, nodes] of Object.entries(e.decisions)) out[d] = (out[d] ?? 0) + nodes.length;
    return out;
  };
  const withDecisions = tally(withRead);
  const withoutDecisions = tally(without);
  return {
    scenario: `${ENVS} envs created seconds ago; a container replaced one node in each; ${secondsSinceFirst} s later another node of each goes abnormal and a second container gets the events`,
    snapshot_without_activities: {
      envs: ENVS,
      settled_and_as_many_as_desired: shape.settled_and_as_many_as_desired,
      youngest_node_age_s: { min: Math.min(...shape.youngest_node_age_s), max: Math.max(...shape.youngest_node_age_s) },
      same_shape_as_a_fresh_env: shape.settled_and_as_many_as_desired === ENVS,
    },
    with_the_activities_read: { calls_per_env: Object.values(calls).reduce((a, b) => a + b, 0) / ENVS, calls, decisions: withDecisions },
    without_it_dry_run: { decisions: withoutDecisions },
    cooldown_seconds: DEFAULT_REMEDIATION.cooldownSeconds,
    max_replacements_per_hour: DEFAULT_REMEDIATION.maxReplacementsPerHour,
    reason: `the snapshot of an env a replacement just touched (a new node, all settled, as many as desired) looks like a freshly created env's; only its activities show the termination ${secondsSinceFirst} s ago. With them the second container holds back (${withDecisions["skipped:cooldown"] ?? 0} of ${ENVS} nodes skipped:cooldown); without them it would replace ${withoutDecisions["dry-run"] ?? 0} of ${ENVS} within the ${DEFAULT_REMEDIATION.cooldownSeconds} s cooldown, and nothing would enforce the hourly cap (${DEFAULT_REMEDIATION.maxReplacementsPerHour}) across containers. On a settled fleet no node is younger than the lookback, which proves no replacement happened in it, so the read is skipped (3 calls).`,
  };
}

/** ENVS fresh envs of NODES_PER_ENV running nodes, subscribed to COMPUTE_NODE_ABNORMAL. */
async function freshEnvs(t: TestEmulator, name: string): Promise<string[]> {
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
  return envIds;
}

/** One running node of each env (not in `exclude`) made abnormal; the messages Batch published for them, redelivered until there are EVENTS. */
async function abnormalRecords(t: TestEmulator, name: string, envIds: string[], exclude: readonly string[] = []): Promise<{ bad: string[]; records: Records }> {
  const bad: string[] = [];
  for (const envId of envIds) {
    const env = await eventually(async () => {
      const e = await t.port.getEnv(envId);
      return e.ComputeNodeSet.length === NODES_PER_ENV && e.ComputeNodeSet.every((n) => n.ComputeNodeState === "RUNNING") ? e : undefined;
    });
    const nodeId = env.ComputeNodeSet.find((n) => !exclude.includes(n.ComputeNodeId))!.ComputeNodeId;
    await emulator(t, "POST", `/nodes/${nodeId}/abnormal`);
    bad.push(nodeId);
  }
  const bodies = bad.map((id) => t.published.find((p) => p.body.includes(id) && p.body.includes("COMPUTE_NODE_ABNORMAL"))!.body);
  const records = Array.from({ length: EVENTS }, (_, i) => ({
    CMQ: { type: "topic", topicOwner: 1250000000, topicName: "batch-events", subscriptionName: "node-abnormal", msgId: `${name}-${i}`, msgBody: bodies[i % bodies.length] },
  }));
  return { bad, records };
}

/** How many of the envs are back to desired with none of the `bad` nodes. */
async function backToDesired(t: TestEmulator, envIds: string[], bad: readonly string[]): Promise<number> {
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
  return back;
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
