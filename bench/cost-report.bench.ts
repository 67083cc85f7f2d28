// The cost report at the product's headline scale: 2,500 BS1.LARGE8 nodes (10,000 vCPU)
// over 5 envs, every node slot recreated daily for 30 days (≈147,500 activities), and
// 2,500 task instances yesterday. Baseline: merely JSON.parse the same replies. The port
// here answers from pre-serialised replies and zod-parses them exactly as the Tencent
// adapter does, so the ratio is the report's own overhead over reading its input.
import { performance } from "node:perf_hooks";
import { computeCostReport } from "../functions/cost-report/compute";
import { collectCostInputs } from "../functions/cost-report/collect";
import { NO_BUDGETS } from "../functions/cost-report/budgets";
import { buildPriceTable } from "../shared/prices";
import { buildCostReport } from "../functions/cost-report/report";
import { defaultWindow } from "../functions/cost-report/window";
import { DEFAULT_RATES } from "../shared/batch/limiter";
import {
  ActivitySchema,
  ComputeEnvSchema,
  ComputeEnvViewSchema,
  JobDetailSchema,
  JobViewSchema,
  page,
  TaskDetailSchema,
} from "../shared/batch/models";
import type { BatchPort } from "../shared/batch/port";

const H = 3_600_000;
const ENVS = 5;
const SLOTS_PER_ENV = 500;
const DAYS = 30;
const JOBS = 100;
const INSTANCES_PER_JOB = 25;
const PAGE = 100;
const TZ = "Asia/Shanghai";
const NOW = Date.parse("2026-11-27T02:00:00Z");

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const id8 = (prefix: string, n: number) => `${prefix}-${n.toString(36).padStart(8, "0")}`;

interface Replies {
  /** Every reply body, keyed `Action|key|offset`. */
  bodies: Map<string, string>;
  expectedCoreHours: number;
}

function generate(): Replies {
  const bodies = new Map<string, string>();
  const put = (key: string, v: unknown) => bodies.set(key, JSON.stringify(v));
  const envViews: unknown[] = [];
  let nodeSeq = 0;
  let actSeq = 0;
  const window = defaultWindow(NOW, TZ);
  let expected = 0;
  const currentByEnv: string[][] = [];
  for (let e = 0; e < ENVS; e++) {
    const envId = id8("env", e + 1);
    envViews.push({
      EnvId: envId,
      EnvName: `farm-${e}`,
      Placement: { Zone: "ap-guangzhou-2" },
      CreateTime: iso(NOW - 40 * 24 * H),
      ComputeNodeMetrics: { RunningCount: SLOTS_PER_ENV },
      EnvType: "MANAGED",
      DesiredComputeNodeCount: SLOTS_PER_ENV,
      Tags: [{ Key: "team", Value: `t${e}` }],
    });
    const activities: Array<Record<string, unknown>> = [];
    const current: Array<Record<string, unknown>> = [];
    const currentIns: string[] = [];
    for (let s = 0; s < SLOTS_PER_ENV; s++) {
      // Each slot's node is replaced every 24 h (a 2-minute gap), at a per-slot offset.
      const offset = ((s * 7919) % 1440) * 60_000;
      let start = NOW - DAYS * 24 * H + offset;
      for (let d = 0; d < DAYS; d++) {
        const nodeId = id8("node", ++nodeSeq);
        const ins = id8("ins", nodeSeq);
        const last = d === DAYS - 1;
        const end = start + 24 * H - 2 * 60_000;
        const base = { ComputeNodeId: nodeId, EnvId: envId, InstanceId: ins, ActivityState: "SUCCEED", StateReason: "" };
        activities.push({ ...base, ActivityId: id8("act", ++actSeq), ComputeNodeActivityType: "CREATE", Cause: "Desired compute node count not met", StartTime: iso(start - 60_000), EndTime: iso(start) });
        const lifeEnd = last ? NOW : end;
        expected += (Math.max(0, Math.min(lifeEnd, window.to) - Math.max(start, window.from)) / H) * 4;
        if (last) {
          current.push({ ComputeNodeId: nodeId, ComputeNodeInstanceId: ins, ComputeNodeState: "RUNNING", Cpu: 4, Mem: 8, ResourceCreatedTime: iso(start), TaskInstanceNumAvailable: 1, PrivateIpAddresses: ["10.0.0.1"], PublicIpAddresses: [] });
          currentIns.push(ins);
        } else {
          activities.push({ ...base, ActivityId: id8("act", ++actSeq), ComputeNodeActivityType: "DESTROY", Cause: "ActionIfComputeNodeInactive=RECREATE", StartTime: iso(end - 30_000), EndTime: iso(end) });
        }
        start = end + 2 * 60_000;
      }
    }
    activities.sort((a, b) => String(a.StartTime).localeCompare(String(b.StartTime)));
    for (let o = 0; o < activities.length; o += PAGE)
      put(`DescribeComputeEnvActivities|${envId}|${o}`, { ActivitySet: activities.slice(o, o + PAGE), TotalCount: activities.length, RequestId: "r" });
    put(`DescribeComputeEnv|${envId}|0`, { ...(envViews[e] as object), ComputeNodeSet: current, RequestId: "r" });
    put(`DescribeComputeEnvCreateInfo|${envId}|0`, { EnvId: envId, EnvData: { InstanceType: "BS1.LARGE8", ImageId: "img-31tjrtph" }, RequestId: "r" });
    currentByEnv.push(currentIns);
  }
  put("DescribeComputeEnvs||0", { ComputeEnvSet: envViews, TotalCount: ENVS, RequestId: "r" });

  const allIns = currentByEnv.flat();
  const jobViews: unknown[] = [];
  for (let j = 0; j < JOBS; j++) {
    const jobId = id8("job", j + 1);
    const created = window.from + (j % 12) * H;
    const tags = [{ Key: "submitter", Value: `user${j % 7}` }];
    jobViews.push({ JobId: jobId, JobName: `job-${j}`, JobState: "SUCCEED", Priority: 1, CreateTime: iso(created), EndTime: iso(created + 12 * H), Tags: tags });
    put(`DescribeJob|${jobId}|0`, { JobId: jobId, JobName: `job-${j}`, JobState: "SUCCEED", TaskSet: [{ TaskName: "t1", TaskState: "SUCCEED" }], Tags: tags, RequestId: "r" });
    const set = Array.from({ length: INSTANCES_PER_JOB }, (_, k) => {
      const start = created + (k % 5) * 60_000;
      return {
        TaskInstanceIndex: k,
        TaskInstanceState: "SUCCEED",
        ExitCode: 0,
        ComputeNodeInstanceId: allIns[(j * INSTANCES_PER_JOB + k) % allIns.length],
        CreateTime: iso(start - 60_000),
        LaunchTime: iso(start - 1000),
        RunningTime: iso(start),
        EndTime: iso(start + (2 + (k % 8)) * H),
      };
    });
    put(`DescribeTask|${jobId}/t1|0`, { JobId: jobId, TaskName: "t1", TaskState: "SUCCEED", TaskInstanceTotalCount: set.length, TaskInstanceSet: set, RequestId: "r" });
  }
  for (let o = 0; o < jobViews.length; o += PAGE) put(`DescribeJobs||${o}`, { JobSet: jobViews.slice(o, o + PAGE), TotalCount: jobViews.length, RequestId: "r" });
  return { bodies, expectedCoreHours: expected };
}

function replayPort(replies: Replies, sample: () => void): { port: BatchPort; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const answer = (action: string, key: string, offset = 0): unknown => {
    calls.set(action, (calls.get(action) ?? 0) + 1);
    sample();
    const body = replies.bodies.get(`${action}|${key}|${offset}`);
    if (body === undefined) throw new Error(`no reply for ${action} ${key} ${offset}`);
    return JSON.parse(body);
  };
  const unsupported = async (): Promise<never> => {
    throw new Error("not used by the cost report");
  };
  const paged = <T>(schema: { parse(v: unknown): Record<string, unknown> }, key: string, v: unknown) => {
    const r = schema.parse(v);
    return { items: r[key] as T[], total: r.TotalCount as number };
  };
  const envPage = page("ComputeEnvSet", ComputeEnvViewSchema);
  const actPage = page("ActivitySet", ActivitySchema);
  const jobPage = page("JobSet", JobViewSchema);
  const port: BatchPort = {
    submitJob: unsupported,
    getJob: async (jobId) => JobDetailSchema.parse(answer("DescribeJob", jobId)),
    listJobs: async (q) => paged(jobPage, "JobSet", answer("DescribeJobs", "", q.offset)),
    getJobSubmitInfo: unsupported,
    terminateJob: unsupported,
    deleteJob: unsupported,
    retryJobs: unsupported,
    getTask: async (jobId, taskName, q) => TaskDetailSchema.parse(answer("DescribeTask", `${jobId}/${taskName}`, q?.offset)),
    getTaskLogs: unsupported,
    createEnv: unsupported,
    getEnv: async (envId) => ComputeEnvSchema.parse(answer("DescribeComputeEnv", envId)),
    getEnvCreateInfo: async (envId) => answer("DescribeComputeEnvCreateInfo", envId) as never,
    listEnvs: async (q) => paged(envPage, "ComputeEnvSet", answer("DescribeComputeEnvs", "", q.offset)),
    setDesiredNodes: unsupported,
    renameEnv: unsupported,
    deleteEnv: unsupported,
    terminateNodes: unsupported,
    listEnvActivities: async (envId, q) => paged(actPage, "ActivitySet", answer("DescribeComputeEnvActivities", envId, q?.offset)),
  };
  return { port, calls };
}

const mb = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
const gc = () => (globalThis as { gc?: () => void }).gc?.();

export async function run(): Promise<Record<string, unknown>> {
  const replies = generate();
  const inputBytes = [...replies.bodies.values()].reduce((s, b) => s + b.length, 0);
  const prices = buildPriceTable();
  const window = defaultWindow(NOW, TZ);

  // Baseline: parse every reply once, keeping the results (what reading the input costs).
  gc();
  let heap0 = process.memoryUsage().heapUsed;
  let peak = heap0;
  let t0 = performance.now();
  const kept: unknown[] = [];
  let n = 0;
  for (const body of replies.bodies.values()) {
    kept.push(JSON.parse(body));
    if (++n % 50 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
  }
  const parseMs = performance.now() - t0;
  const parsePeakMB = mb(Math.max(peak, process.memoryUsage().heapUsed) - heap0);
  kept.length = 0;

  // Second baseline: parse and validate with the adapter's schemas (what any reader pays).
  const schemaOf: Record<string, { parse(v: unknown): unknown }> = {
    DescribeComputeEnvs: page("ComputeEnvSet", ComputeEnvViewSchema),
    DescribeComputeEnv: ComputeEnvSchema,
    DescribeComputeEnvActivities: page("ActivitySet", ActivitySchema),
    DescribeJobs: page("JobSet", JobViewSchema),
    DescribeJob: JobDetailSchema,
    DescribeTask: TaskDetailSchema,
  };
  t0 = performance.now();
  for (const [key, body] of replies.bodies) {
    const v = JSON.parse(body);
    schemaOf[key.slice(0, key.indexOf("|"))]?.parse(v);
  }
  const validateMs = performance.now() - t0;

  // The report: walk every page through the port, reduce, compute.
  gc();
  heap0 = process.memoryUsage().heapUsed;
  peak = heap0;
  let samples = 0;
  const { port, calls } = replayPort(replies, () => {
    if (++samples % 50 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
  });
  t0 = performance.now();
  const report = await buildCostReport({ batch: port, prices, timeZone: TZ, idleAlertHours: 24, concurrency: 4 }, { from: window.from, to: window.to, now: NOW });
  const reportMs = performance.now() - t0;
  const reportPeakMB = mb(Math.max(peak, process.memoryUsage().heapUsed) - heap0);

  // The pure core alone, on inputs already gathered.
  const gathered = await collectCostInputs(replayPort(replies, () => {}).port, { jobsFrom: window.from - 24 * H, now: NOW });
  t0 = performance.now();
  computeCostReport(gathered, { window, now: NOW, prices, budgets: NO_BUDGETS, idleAlertHours: 24 });
  const computeMs = performance.now() - t0;

  const apiSeconds = Object.fromEntries([...calls].map(([a, c]) => [a, Math.round((c / (DEFAULT_RATES[a] ?? 10)) * 10) / 10]));
  const activities = calls.get("DescribeComputeEnvActivities") ?? 0;
  return {
    nodes: ENVS * SLOTS_PER_ENV,
    vcpu: ENVS * SLOTS_PER_ENV * 4,
    days: DAYS,
    activities: gathered.envs.reduce((s, e) => s + e.activities.length, 0),
    taskInstances: gathered.jobs.reduce((s, j) => s + j.instances.length, 0),
    inputMB: mb(inputBytes),
    parseMs: Math.round(parseMs),
    reportMs: Math.round(reportMs),
    computeOnlyMs: Math.round(computeMs),
    parseAndValidateMs: Math.round(validateMs),
    reportOverParse: Math.round((reportMs / parseMs) * 100) / 100,
    reportOverParseAndValidate: Math.round((reportMs / validateMs) * 100) / 100,
    parsePeakHeapMB: parsePeakMB,
    reportPeakHeapMB: reportPeakMB,
    reportHeapOverParseHeap: parsePeakMB > 0 ? Math.round((reportPeakMB / parsePeakMB) * 100) / 100 : null,
    rssMB: mb(process.memoryUsage().rss),
    apiCalls: Object.fromEntries(calls),
    apiPageCalls: activities,
    // Sequential upper bound under the adapter's per-action limits (envs are read 4 at a time).
    apiSecondsAtDefaultRates: apiSeconds,
    apiSecondsUpperBound: Math.round(Object.values(apiSeconds).reduce((s, v) => s + v, 0)),
    scfTimeoutSeconds: 900,
    coreHours: report.totals.coreHours,
    expectedCoreHours: Math.round(replies.expectedCoreHours * 1e4) / 1e4,
    cost: report.totals.cost,
    partial: report.partial,
  };
}
