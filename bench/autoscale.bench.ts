// Autoscale in simulated time (issue 15, item 6): a day of synthetic job arrivals over 20 envs
// (10 steady with a day/night rhythm, 10 bursty), seeded, replayed against the pure core
// (functions/autoscale: snapshotOf → decide, from Batch-shaped replies, every 60 s as the timer
// will) on a simulated Batch: one task instance per node, nodes billed from creation until
// destroyed, booting as long as the emulator's (local/emulator/context.ts DEFAULT_TIMINGS:
// submit + create + start), instances placed FIFO on idle RUNNING nodes at once. Baselines, in the
// same run on the same arrivals:
// - fixed: each env sized for its own peak (the most instances that ever overlap when none
//   waits), running around the clock (24 h billed);
// - oracle: knows every arrival; no instance waits; each node is started one boot ahead of its
//   first instance and kept only across gaps shorter than a boot (greedy best fit: about the
//   least a zero-wait schedule can be billed).
// Printed: core-hours provisioned and p50/p95 queue wait (arrival → start) for each, autoscale
// and fixed as ratios of the oracle's core-hours; the target (≤ 1.3× the oracle's core-hours,
// p95 wait ≤ boot + one evaluation); then the decisions, the Batch writes per env per evaluation,
// and how the result moves with the settings and a slower boot.
import { type AutoscaleDecision, decide } from "../functions/autoscale/policy";
import { type BatchRead, snapshotOf, type TaskRead } from "../functions/autoscale/snapshot";
import { AUTOSCALE_DEFAULTS, type AutoscaleSettings, stampDescription } from "../shared/env-policy";
import { INSTANCE_TYPES } from "../shared/schemas/instance-types";
import { DEFAULT_TIMINGS } from "../local/emulator/context";

const SEED = 20260302;
const DAY = 86_400;
/** Arrivals stop at DAY; the simulation runs on until every instance has ended and every node is gone. */
const HORIZON = DAY + 8 * 3600;
const EVAL_S = 60;
const EMULATOR_BOOT_S = (DEFAULT_TIMINGS.nodeSubmitMs + DEFAULT_TIMINGS.nodeCreateMs + DEFAULT_TIMINGS.nodeStartMs) / 1000;
const DELETE_S = DEFAULT_TIMINGS.nodeDeleteMs / 1000;
const INSTANCE_TYPE = "BS1.LARGE8";
const CORES = INSTANCE_TYPES[INSTANCE_TYPE]!.cpu;
const EPOCH = Date.parse("2026-03-02T00:00:00Z");
/** TerminateComputeNodes takes at most 100 ids a call. */
const TERMINATE_MAX_IDS = 100;

interface Instance {
  arrival: number;
  duration: number;
}
interface EnvLoad {
  envId: string;
  kind: "steady" | "bursty";
  jobs: number;
  instances: Instance[];
}

// ── workload ──────────────────────────────────────────────────────────────────────────

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function workload(seed: number): EnvLoad[] {
  const rnd = mulberry32(seed);
  const uniform = (lo: number, hi: number) => lo + (hi - lo) * rnd();
  const int = (lo: number, hi: number) => Math.floor(uniform(lo, hi + 1));
  const normal = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  /** Run time in seconds: log-normal around the median, within 1 min … 3 h. */
  const runTime = (medianMin: number) => Math.min(3 * 3600, Math.max(60, medianMin * 60 * Math.exp(0.6 * normal())));
  const envs: EnvLoad[] = [];
  for (let e = 0; e < 20; e++) {
    const envId = `env-sim${String(e).padStart(5, "0")}`;
    const instances: Instance[] = [];
    let jobs = 0;
    if (e < 10) {
      // Steady: Poisson jobs of 1–4 instances, busier by day (peak 14:00) than by night.
      const perHour = uniform(3, 10);
      const median = uniform(10, 40);
      const peak = perHour * 1.6;
      for (let t = 0; ; ) {
        t += -Math.log(1 - rnd()) * (3600 / peak);
        if (t >= DAY) break;
        const rate = perHour * (1 + 0.6 * Math.sin(2 * Math.PI * (t / DAY - 8 / 24)));
        if (rnd() > rate / peak) continue; // thinning: rate(t) ≤ peak
        jobs++;
        const n = int(1, 4);
        for (let i = 0; i < n; i++) instances.push({ arrival: t, duration: runTime(median) });
      }
    } else {
      // Bursty: 2–8 bursts a day at random times, each 1–3 jobs within 5 minutes of 5–40 instances.
      const bursts = int(2, 8);
      const median = uniform(15, 60);
      for (let b = 0; b < bursts; b++) {
        const at = uniform(0, DAY - 3600);
        const n = int(1, 3);
        for (let j = 0; j < n; j++) {
          jobs++;
          const t = at + uniform(0, 300);
          const k = int(5, 40);
          for (let i = 0; i < k; i++) instances.push({ arrival: t, duration: runTime(median) });
        }
      }
    }
    instances.sort((a, b) => a.arrival - b.arrival);
    envs.push({ envId, kind: e < 10 ? "steady" : "bursty", jobs, instances });
  }
  return envs;
}

// ── simulated Batch ───────────────────────────────────────────────────────────────────

interface SimNode {
  id: string;
  createdAt: number;
  readyAt: number;
  goneAt?: number;
  busyUntil?: number;
  lastEnd?: number;
}

interface EnvResult {
  coreSeconds: number;
  waits: number[];
  actions: Record<AutoscaleDecision["action"], number>;
  evaluations: number;
  maxWritesPerEvaluation: number;
  writes: number;
  /** Scale-ups within scaleDownAfterSeconds of a scale-down on the same env. */
  reversals: number;
  unfinished: number;
}

const isoSec = (s: number) => new Date(EPOCH + Math.floor(s) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

/** Autoscale on one env: the timer every EVAL_S, Batch creating nodes for the desired count at once. */
function simulateAutoscale(load: EnvLoad, settings: AutoscaleSettings, bootS: number): EnvResult {
  const nodes: SimNode[] = [];
  const queue: Instance[] = [];
  let head = 0;
  let desired = 0;
  let ai = 0;
  let seq = 0;
  let stamp: number | undefined;
  let lastDown = Number.NEGATIVE_INFINITY;
  const r: EnvResult = {
    coreSeconds: 0,
    waits: [],
    actions: { none: 0, scale_up: 0, scale_down: 0, hold: 0 },
    evaluations: 0,
    maxWritesPerEvaluation: 0,
    writes: 0,
    reversals: 0,
    unfinished: 0,
  };
  const live = () => nodes.filter((n) => n.goneAt === undefined);

  const place = (t: number) => {
    for (const n of live()) {
      if (head >= queue.length) return;
      if (n.readyAt > t || n.busyUntil !== undefined) continue;
      const inst = queue[head++]!;
      r.waits.push(t - inst.arrival);
      n.busyUntil = t + inst.duration;
    }
  };
  const reconcile = (t: number) => {
    for (let l = live().length; l < desired; l++) nodes.push({ id: `node-${load.envId.slice(4)}${seq++}`, createdAt: t, readyAt: t + bootS });
  };
  const read = (t: number): BatchRead => {
    const since = t - settings.scaleDownAfterSeconds;
    const instances: TaskRead["TaskInstanceSet"][number][] = [];
    for (let i = head; i < queue.length; i++) instances.push({ TaskInstanceState: "RUNNABLE" });
    for (const n of live()) {
      if (n.busyUntil !== undefined) instances.push({ TaskInstanceState: "RUNNING", ComputeNodeInstanceId: n.id });
      if (n.lastEnd !== undefined && n.lastEnd >= since) instances.push({ TaskInstanceState: "SUCCEED", ComputeNodeInstanceId: n.id, EndTime: isoSec(n.lastEnd) });
    }
    return {
      env: {
        EnvId: load.envId,
        EnvName: `sim-${load.kind}`,
        DesiredComputeNodeCount: desired,
        NextAction: null,
        Tags: [],
        ComputeNodeSet: live().map((n) => ({
          ComputeNodeId: n.id,
          ComputeNodeInstanceId: n.id,
          ComputeNodeState: n.readyAt <= t ? "RUNNING" : "CREATING",
          Cpu: CORES,
          TaskInstanceNumAvailable: n.readyAt <= t && n.busyUntil === undefined ? 1 : 0,
          ResourceCreatedTime: isoSec(n.createdAt),
        })),
      },
      instanceTypes: [INSTANCE_TYPE],
      description: stamp === undefined ? "" : stampDescription("", { by: "autoscale", at: EPOCH + stamp * 1000 }),
      activities: [],
      tasks: [{ EnvId: load.envId, TaskInstanceSet: instances }],
      instancesSince: EPOCH + since * 1000,
    };
  };

  let nextEval = 0;
  let now = Number.NEGATIVE_INFINITY;
  for (;;) {
    // The next event: the timer, an arrival, a node becoming ready, an instance ending.
    let t = Math.min(nextEval, load.instances[ai]?.arrival ?? Number.POSITIVE_INFINITY);
    for (const n of live()) {
      if (n.readyAt > now && n.readyAt < t) t = n.readyAt;
      if (n.busyUntil !== undefined && n.busyUntil < t) t = n.busyUntil;
    }
    if (t > HORIZON) break;
    now = t;
    for (const n of live())
      if (n.busyUntil !== undefined && n.busyUntil <= t) {
        n.lastEnd = n.busyUntil;
        n.busyUntil = undefined;
      }
    while (ai < load.instances.length && load.instances[ai]!.arrival <= t) queue.push(load.instances[ai++]!);
    place(t);
    if (t === nextEval) {
      nextEval += EVAL_S;
      r.evaluations++;
      const d = decide(snapshotOf(read(t), EPOCH + t * 1000), settings, EPOCH + t * 1000);
      r.actions[d.action]++;
      let writes = 0;
      if (d.action === "scale_up") {
        if (t - lastDown < settings.scaleDownAfterSeconds) r.reversals++;
        writes = 2; // the stamp, then ModifyComputeEnv
        desired = d.after;
      } else if (d.action === "scale_down") {
        lastDown = t;
        writes = 1 + Math.ceil(d.terminate.length / TERMINATE_MAX_IDS); // the stamp, then TerminateComputeNodes
        const gone = new Set(d.terminate);
        for (const n of live()) {
          if (!gone.has(n.id)) continue;
          if (n.busyUntil !== undefined || n.readyAt > t) throw new Error(`${load.envId}: autoscale terminated ${n.id}, which is busy or starting`);
          n.goneAt = t + DELETE_S;
        }
        desired = d.after;
      }
      if (writes > 0) stamp = t;
      r.writes += writes;
      r.maxWritesPerEvaluation = Math.max(r.maxWritesPerEvaluation, writes);
      reconcile(t);
      place(t);
    }
  }
  for (const n of nodes) r.coreSeconds += (Math.min(n.goneAt ?? HORIZON, HORIZON) - n.createdAt) * CORES;
  r.unfinished = queue.length - head + live().filter((n) => n.busyUntil !== undefined).length;
  return r;
}

/** The most instances that overlap when none waits. */
function peakConcurrency(load: EnvLoad): number {
  const edges = load.instances.flatMap((i) => [
    [i.arrival, 1],
    [i.arrival + i.duration, -1],
  ]) as Array<[number, number]>;
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let overlapping = 0;
  let peak = 0;
  for (const [, d] of edges) {
    overlapping += d;
    peak = Math.max(peak, overlapping);
  }
  return peak;
}

/** Fixed for the peak: that many nodes running all day; none waits (peakConcurrency). */
function fixedForPeak(load: EnvLoad): EnvResult {
  const nodes = peakConcurrency(load);
  return {
    coreSeconds: nodes * CORES * DAY,
    waits: load.instances.map(() => 0),
    actions: { none: 0, scale_up: 0, scale_down: 0, hold: 0 },
    evaluations: 0,
    maxWritesPerEvaluation: 0,
    writes: 0,
    reversals: 0,
    unfinished: 0,
  };
}

/** The oracle: zero wait, nodes started a boot ahead, kept only across gaps shorter than a boot. */
function oracle(load: EnvLoad, bootS: number): EnvResult {
  const freeAt: number[] = [];
  let seconds = 0;
  for (const i of load.instances) {
    let best = -1;
    for (let k = 0; k < freeAt.length; k++) if (freeAt[k]! <= i.arrival && (best < 0 || freeAt[k]! > freeAt[best]!)) best = k;
    if (best >= 0 && i.arrival - freeAt[best]! <= bootS + DELETE_S) {
      seconds += i.arrival - freeAt[best]! + i.duration;
      freeAt[best] = i.arrival + i.duration;
    } else {
      seconds += bootS + i.duration + DELETE_S;
      freeAt.push(i.arrival + i.duration);
    }
  }
  return { ...fixedForPeak(load), coreSeconds: seconds * CORES };
}

// ── report ────────────────────────────────────────────────────────────────────────────

const round1 = (n: number) => Math.round(n * 10) / 10;
const round2 = (n: number) => Math.round(n * 100) / 100;
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;

function summary(results: EnvResult[]) {
  const waits = results.flatMap((r) => r.waits).sort((a, b) => a - b);
  return {
    coreHours: round1(results.reduce((s, r) => s + r.coreSeconds, 0) / 3600),
    waitP50: round1(pct(waits, 50)),
    waitP95: round1(pct(waits, 95)),
    waitMax: round1(waits[waits.length - 1] ?? 0),
  };
}

const defaults = (over: Partial<AutoscaleSettings> = {}): AutoscaleSettings => ({
  source: "policy",
  minNodes: 0,
  maxNodes: 2000,
  allowScaling: true,
  ...AUTOSCALE_DEFAULTS,
  ...over,
});

function scenario(loads: EnvLoad[], settings: AutoscaleSettings, bootS: number) {
  const auto = loads.map((l) => simulateAutoscale(l, settings, bootS));
  const orc = loads.map((l) => oracle(l, bootS));
  const a = summary(auto);
  const o = summary(orc);
  return { auto, orc, a, o, ratio: round2(a.coreHours / o.coreHours), p95Target: bootS + EVAL_S };
}

export async function run(): Promise<Record<string, unknown>> {
  const loads = workload(SEED);
  /** What the instances themselves run: no schedule is billed less. */
  const busyCoreSeconds = loads.reduce((s, l) => s + l.instances.reduce((x, i) => x + i.duration, 0), 0) * CORES;
  const settings = defaults();
  const main = scenario(loads, settings, EMULATOR_BOOT_S);
  const fixed = loads.map(fixedForPeak);
  const f = summary(fixed);
  const byKind = (kind: EnvLoad["kind"]) => {
    const idx = loads.flatMap((l, i) => (l.kind === kind ? [i] : []));
    const pick = (rs: EnvResult[]) => summary(idx.map((i) => rs[i]!));
    const a = pick(main.auto);
    const o = pick(main.orc);
    const fx = pick(fixed);
    return {
      envs: idx.length,
      instances: idx.reduce((s, i) => s + loads[i]!.instances.length, 0),
      coreHours: { oracle: o.coreHours, autoscale: a.coreHours, fixedForPeak: fx.coreHours },
      autoscaleToOracle: round2(a.coreHours / o.coreHours),
      autoscaleWaitP50P95: [a.waitP50, a.waitP95],
    };
  };
  const total = <K extends keyof EnvResult>(k: K) => main.auto.reduce((s, r) => s + (r[k] as number), 0);
  const actions = { none: 0, scale_up: 0, scale_down: 0, hold: 0 };
  for (const r of main.auto) for (const k of Object.keys(actions) as Array<keyof typeof actions>) actions[k] += r.actions[k];
  const coreMet = main.ratio <= 1.3;
  const waitMet = main.a.waitP95 <= main.p95Target;

  const step = AUTOSCALE_DEFAULTS.maxStepUp;
  const window = AUTOSCALE_DEFAULTS.scaleDownAfterSeconds;
  const sensitivity = [
    { bootS: EMULATOR_BOOT_S, scaleDownAfterSeconds: 300, maxStepUp: step },
    { bootS: EMULATOR_BOOT_S, scaleDownAfterSeconds: 900, maxStepUp: step },
    { bootS: EMULATOR_BOOT_S, scaleDownAfterSeconds: window, maxStepUp: 10 },
    { bootS: EMULATOR_BOOT_S, scaleDownAfterSeconds: window, maxStepUp: 20 },
    // A real CVM boots in minutes, not 1.5 s (not measured here: an order of magnitude).
    { bootS: 180, scaleDownAfterSeconds: window, maxStepUp: step },
    { bootS: 180, scaleDownAfterSeconds: window, maxStepUp: 10 },
  ].map((v) => {
    const s = scenario(loads, defaults({ scaleDownAfterSeconds: v.scaleDownAfterSeconds, maxStepUp: v.maxStepUp }), v.bootS);
    return {
      ...v,
      coreHoursToOracle: s.ratio,
      waitP50: s.a.waitP50,
      waitP95: s.a.waitP95,
      p95Target: s.p95Target,
      met: s.ratio <= 1.3 && s.a.waitP95 <= s.p95Target,
    };
  });

  return {
    setup: {
      envs: loads.length,
      steady: loads.filter((l) => l.kind === "steady").length,
      bursty: loads.filter((l) => l.kind === "bursty").length,
      jobs: loads.reduce((s, l) => s + l.jobs, 0),
      instances: loads.reduce((s, l) => s + l.instances.length, 0),
      seed: SEED,
      evaluationSeconds: EVAL_S,
      nodeBootSeconds: EMULATOR_BOOT_S,
      instanceType: `${INSTANCE_TYPE} (${CORES} cores, one task instance a node)`,
      settings: { ...AUTOSCALE_DEFAULTS, minNodes: 0, maxNodes: "2000 (not binding)" },
    },
    coreHours: { busy: round1(busyCoreSeconds / 3600), oracle: main.o.coreHours, autoscale: main.a.coreHours, fixedForPeak: f.coreHours },
    coreHoursToOracle: { autoscale: main.ratio, fixedForPeak: round2(f.coreHours / main.o.coreHours) },
    queueWaitSeconds: {
      oracle: { p50: main.o.waitP50, p95: main.o.waitP95 },
      autoscale: { p50: main.a.waitP50, p95: main.a.waitP95, max: main.a.waitMax },
      fixedForPeak: { p50: f.waitP50, p95: f.waitP95 },
    },
    target: {
      coreHours: `≤ 1.3× the oracle's: ${main.ratio}× — ${coreMet ? "met" : "not met"}`,
      p95Wait: `≤ boot + one evaluation = ${main.p95Target} s: ${main.a.waitP95} s — ${waitMet ? "met" : "not met"}`,
      met: coreMet && waitMet,
    },
    byKind: { steady: byKind("steady"), bursty: byKind("bursty") },
    decisions: {
      evaluations: total("evaluations"),
      ...actions,
      reversalsWithinScaleDownWindow: total("reversals"),
      batchWritesPerEnvPerEvaluation: { max: Math.max(...main.auto.map((r) => r.maxWritesPerEvaluation)), mean: round2(total("writes") / total("evaluations")) },
      unfinishedAtHorizon: total("unfinished"),
    },
    sensitivity,
  };
}
