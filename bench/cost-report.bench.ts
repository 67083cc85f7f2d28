// The cost report at the product's headline scale: 2,500 BS1.LARGE8 nodes (10,000 vCPU)
// over 5 envs, every node slot recreated daily for 30 days (≈147,500 activities), and
// 2,500 task instances yesterday. Three measurements:
// - time, in this process: the report over a port that answers from pre-serialised replies and
//   zod-parses them exactly as the Tencent adapter does, against merely JSON.parse-ing the same
//   replies (the report's own overhead over reading its input);
// - memory, in the function's own process: the built bundle, in a child Node process, runs its
//   timer event (the daily report, files written to a local COS directory) against a fake Batch
//   endpoint in this process that serves the same replies over HTTP; peak RSS is the child's
//   process.resourceUsage().maxRSS, against the same bundle's run on an empty account and the
//   memorySize serverless.yml gives the function;
// - the Batch calls that run made, per action (counted by the fake endpoint), and the time they
//   need at the documented quotas (shared/batch/limiter.ts DEFAULT_RATES), against half the
//   function's timeout. The child's client-side rates are raised (BATCH_RATES) so the bench does
//   not wait out the quota it computes.
import { execFile } from "node:child_process";
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import { parse as parseYaml } from "yaml";
import { bundle, ROOT } from "../scripts/bundle";
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
// Whole seconds (Batch's resolution): the function in the child reads the same window from its timer event.
const NOW = Math.floor(Date.now() / 1000) * 1000;

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

/** A Batch endpoint that answers the SDK's signed POSTs from `replies` (signatures unchecked), counting calls per action. */
async function fakeBatch(replies: Replies): Promise<{ url: string; calls: Map<string, number>; close(): Promise<void> }> {
  const calls = new Map<string, number>();
  const keyOf = (action: string, p: Record<string, unknown>) => {
    const offset = Number(p.Offset ?? 0);
    if (action === "DescribeTask") return `${action}|${p.JobId}/${p.TaskName}|${offset}`;
    if (action === "DescribeJob") return `${action}|${p.JobId}|0`;
    if (typeof p.EnvId === "string") return `${action}|${p.EnvId}|${offset}`;
    return `${action}||${offset}`;
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const action = String(req.headers["x-tc-action"] ?? "");
      calls.set(action, (calls.get(action) ?? 0) + 1);
      const body = replies.bodies.get(keyOf(action, JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}")));
      res.writeHead(200, { "content-type": "application/json" });
      res.end(body === undefined ? JSON.stringify({ Response: { Error: { Code: "ResourceNotFound", Message: `no reply for ${action}` }, RequestId: "r" } }) : `{"Response":${body}}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const READS = ["DescribeComputeEnvs", "DescribeComputeEnv", "DescribeComputeEnvCreateInfo", "DescribeComputeEnvActivities", "DescribeJobs", "DescribeJob", "DescribeTask"];

/** The bundle's timer run in a Node process of its own, against `replies`: its peak RSS, time and answer. */
async function inOwnProcess(file: string, replies: Replies, cosDir: string) {
  const batch = await fakeBatch(replies);
  try {
    const event = { Type: "Timer", TriggerName: "daily", Time: new Date(NOW).toISOString(), Message: "" };
    const code = `const t=performance.now();require(${JSON.stringify(file)}).main_handler(${JSON.stringify(event)},{request_id:"bench"}).then(r=>process.stdout.write("\\n"+JSON.stringify({ms:performance.now()-t,maxRssKB:process.resourceUsage().maxRSS,partial:r.partial,files:r.files.length,summary:r.summary})),e=>{process.stderr.write(String(e&&e.stack||e));process.exit(1)})`;
    const { stdout } = await promisify(execFile)(process.execPath, ["-e", code], {
      encoding: "utf8",
      maxBuffer: 4 * 1024 * 1024,
      env: {
        PATH: process.env.PATH ?? "",
        TENCENTCLOUD_REGION: "ap-guangzhou",
        TENCENTCLOUD_SECRETID: "AKIDbenchcost0000000000000000000000",
        TENCENTCLOUD_SECRETKEY: "benchcostsecretkey00000000000000",
        BATCH_ENDPOINT: batch.url,
        BATCH_RATES: JSON.stringify(Object.fromEntries(READS.map((a) => [a, 1000]))),
        COST_REPORT_DEST: "cos://bench-1250000000.cos.ap-guangzhou.myqcloud.com/r/",
        LOCAL_COS_DIR: cosDir,
        REPORT_TIME_ZONE: TZ,
        LOG_LEVEL: "warn",
      },
    });
    // The function's own log lines come first; the measurement is the last line.
    const r = JSON.parse(stdout.trim().split("\n").pop() ?? "") as { ms: number; maxRssKB: number; partial: boolean; files: number; summary: string };
    return { ...r, calls: Object.fromEntries(batch.calls) };
  } finally {
    await batch.close();
  }
}

/** Seconds `calls` need through the limiter's token bucket at `rate`/s (it starts full, max(1, rate) tokens). */
const quotaSeconds = (calls: number, rate: number) => Math.max(0, calls - Math.max(1, rate)) / rate;

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

  // The function in its own process: the built bundle, on the headline input and on an empty account.
  const built = await bundle(join(ROOT, "functions", "cost-report", "index.ts"), join(ROOT, "bench", ".work", "cost-report", "index.js"));
  const fn = (yaml: string) => (parseYaml(yaml) as { functions: Record<string, { memorySize: number; timeout: number }> }).functions["cost-report"]!;
  const { memorySize, timeout } = fn(readFileSync(join(ROOT, "serverless.yml"), "utf8"));
  const empty: Replies = {
    bodies: new Map([
      ["DescribeComputeEnvs||0", JSON.stringify({ ComputeEnvSet: [], TotalCount: 0, RequestId: "r" })],
      ["DescribeJobs||0", JSON.stringify({ JobSet: [], TotalCount: 0, RequestId: "r" })],
    ]),
    expectedCoreHours: 0,
  };
  const cosDir = mkdtempSync(join(tmpdir(), "bench-cost-"));
  let full: Awaited<ReturnType<typeof inOwnProcess>>;
  let bare: Awaited<ReturnType<typeof inOwnProcess>>;
  try {
    bare = await inOwnProcess(built.file, empty, cosDir);
    full = await inOwnProcess(built.file, replies, cosDir);
  } finally {
    rmSync(cosDir, { recursive: true, force: true });
  }
  const rssMB = Math.round(full.maxRssKB / 102.4) / 10;
  const emptyRssMB = Math.round(bare.maxRssKB / 102.4) / 10;

  // The Batch calls of that run at the documented quotas (one instance's limiter: a bucket per action).
  const perAction = Object.fromEntries(
    Object.entries(full.calls).map(([a, c]) => [a, { calls: c, rate_per_s: DEFAULT_RATES[a] ?? 10, seconds: Math.round(quotaSeconds(c, DEFAULT_RATES[a] ?? 10) * 10) / 10 }]),
  );
  const serialSeconds = Math.round(Object.values(perAction).reduce((s, v) => s + v.seconds, 0) * 10) / 10;
  const slowestSeconds = Math.max(...Object.values(perAction).map((v) => v.seconds));
  const half = timeout / 2;
  const activities = calls.get("DescribeComputeEnvActivities") ?? 0;
  return {
    function_in_own_process: {
      measured: "bench/.work/cost-report/index.js (the built bundle) in a child Node process: its timer event (yesterday, Asia/Shanghai; files written to a local COS dir), Batch answered over HTTP by a fake endpoint serving the same replies",
      peakRssMB: rssMB,
      emptyAccountPeakRssMB: emptyRssMB,
      rssOverEmptyAccount: Math.round((rssMB / emptyRssMB) * 100) / 100,
      memorySizeMB: memorySize,
      withinMemorySize: rssMB <= memorySize,
      ms: Math.round(full.ms),
      partial: full.partial,
      files: full.files,
      summary: full.summary,
    },
    batch_calls_at_quota: {
      calls: perAction,
      serialSeconds,
      slowestActionSeconds: slowestSeconds,
      halfTimeoutSeconds: half,
      withinHalfTimeout: serialSeconds <= half,
      model: "each action has its own token bucket (limiter.ts): the calls need at least the slowest action's time and at most the sum (the actions one after another); each bucket starts full",
    },
    in_process: {
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
    activityPageCalls: activities,
    coreHours: report.totals.coreHours,
    expectedCoreHours: Math.round(replies.expectedCoreHours * 1e4) / 1e4,
    cost: report.totals.cost,
    partial: report.partial,
    },
  };
}
