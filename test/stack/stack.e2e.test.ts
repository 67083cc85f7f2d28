// The whole stack as a user runs it: `npm start` in a child process (free ports, a temp data
// dir), then the public HTTP API at each function's URL, the remediation pushed by the topic over HTTP, a timer fired by invoke, a
// clean Ctrl-C, and a restart that finds the same state.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/bundle";
import { costHistory } from "../support/cost-history";
import { eventually } from "../support/emulator";

const dataDir = mkdtempSync(join(tmpdir(), "stack-e2e-"));
const ENV: NodeJS.ProcessEnv = {
  ...process.env,
  PORT: "0",
  BATCH_EMULATOR_PORT: "0",
  LOCAL_DATA_DIR: dataDir,
  API_KEYS: "",
  EMULATOR_NODE_SUBMIT_MS: "20",
  EMULATOR_NODE_CREATE_MS: "80",
  EMULATOR_NODE_START_MS: "50",
  EMULATOR_NODE_DELETE_MS: "50",
  EMULATOR_TICK_MS: "20",
  LOCAL_RETRY_BASE_MS: "100",
  // Demo nodes are seconds old: let remediation act on them.
  REMEDIATION_GRACE_SECONDS: "0",
  REMEDIATION_COOLDOWN_SECONDS: "0",
  LOG_LEVEL: "info",
};

interface Running {
  child: ChildProcess;
  output: string[];
  /** Function name → its local Function URL, from the ready line. */
  urls: Record<string, string>;
  /** The jobs URL: it serves the stack's API (/_local) like every function URL. */
  local: string;
  emulator: string;
  exited: Promise<number | null>;
}

async function start(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Running> {
  const child = spawn(cmd, args, { cwd: ROOT, env: { ...ENV, ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const output: string[] = [];
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  for (const s of [child.stdout, child.stderr]) {
    let buf = "";
    s?.on("data", (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split("\n");
      buf = lines.pop() ?? "";
      output.push(...lines);
    });
  }
  const ready = await eventually(() => output.find((l) => /^ready: /.test(l) && l.includes("emulator")), 40_000, 50).catch((e) => {
    throw new Error(`${(e as Error).message}\n${output.join("\n")}`);
  });
  const urls = Object.fromEntries([...ready.matchAll(/([a-z-]+) (http:\/\/127\.0\.0\.1:\d+)/g)].map((m) => [m[1]!, m[2]!]));
  const { emulator, ...functionUrls } = urls;
  if (!emulator || !functionUrls.jobs || !functionUrls.envs) throw new Error(`unexpected ready line: ${ready}`);
  return { child, output, urls: functionUrls, local: functionUrls.jobs, emulator, exited };
}

/** Ctrl-C as a terminal sends it: SIGINT to the whole process group. */
function interrupt(r: Running): Promise<number | null> {
  process.kill(-r.child.pid!, "SIGINT");
  return r.exited;
}

let first: Running | undefined;
let second: Running | undefined;
let third: Running | undefined;
let fourth: Running | undefined;
afterAll(async () => {
  for (const r of [first, second, third, fourth]) {
    if (r && r.child.exitCode === null) {
      try {
        process.kill(-r.child.pid!, "SIGKILL");
      } catch {}
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
});

const json = async (res: Response) => {
  const text = await res.text();
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error(`not JSON (${res.status}): ${text.slice(0, 300)}`);
  }
};

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

interface RawEnv {
  nodes: Array<{ id: string; state: string }>;
}

describe("npm start", () => {
  let key = "";
  let envId = "";
  let jobId = "";
  const auth = () => ({ authorization: `Bearer ${key}` });

  it("builds, starts every listener on free ports and prints ready with the actual URLs", async () => {
    first = await start("npm", ["start", "--silent"]);
    // One URL per function, each a listener of its own.
    expect(Object.keys(first.urls)).toEqual(["jobs", "envs", "node-abnormal", "cost-report", "autoscale", "job-notify"]);
    expect(new Set(Object.values(first.urls)).size).toBe(6);
    for (const url of Object.values(first.urls)) expect(url).not.toMatch(/:0$/);
    const index = await json(await fetch(`${first.local}/_local`));
    expect(index.functionUrls).toEqual(first.urls);
    // The stack's own API on every function URL.
    expect((await fetch(`${first.urls["cost-report"]}/_local/health`)).status).toBe(200);
    envId = index.demoEnvId as string;
    expect(envId).toMatch(/^env-[a-z0-9]{8}$/);
    expect(index.topics).toEqual({ "batch-node-events": ["node-abnormal"], "batch-job-events": ["job-notify"] });
    key = readFileSync(join(dataDir, "api-key"), "utf8").trim();
    const printed = first.output.join("\n");
    expect(printed).toContain(key); // the local API key is shown
    expect(printed).toContain(`curl -s -H "Authorization: Bearer ${key}" ${first.urls.envs}/envs`);
    expect(printed).toMatch(new RegExp(`jobs +${first.urls.jobs}  \\(POST/GET /jobs…, /openapi\\.json\\)`));
    expect(printed).toMatch(new RegExp(`node-abnormal +${first.urls["node-abnormal"]}  \\(POST /cmq/<token>: the topic's pushes\\)`));
    // Progress while the demo env's nodes come up, until they all run.
    await eventually(() => first!.output.some((l) => l.includes(`demo env ${envId}: 2/2 nodes running`)), 15_000);
  }, 50_000);

  it("serves the envs API at the envs URL, in both event shapes, and refuses calls without a key", async () => {
    const list = await fetch(`${first!.urls.envs}/envs`, { headers: auth() });
    expect(list.status).toBe(200);
    expect(JSON.stringify(await json(list))).toContain(envId);
    const viaGateway = await fetch(`${first!.urls.envs}/release/envs/${envId}`, { headers: { ...auth(), "x-local-event-shape": "apigw" } });
    expect(viaGateway.status).toBe(200);
    expect((await fetch(`${first!.urls.envs}/envs`)).status).toBe(401);
    // Each URL is its function's alone: the jobs function knows no /envs.
    expect((await fetch(`${first!.urls.jobs}/envs`, { headers: auth() })).status).toBe(404);
  });

  it("submits the documented example job over HTTP; it succeeds and its output lands in the local COS folder", async () => {
    const res = await fetch(`${first!.urls.jobs}/jobs`, {
      method: "POST",
      headers: { ...auth(), "content-type": "application/json", "idempotency-key": "e2e-doc-example" },
      // The user guide's example as printed (batch-facts §2).
      body: readFileSync(join(ROOT, "test", "fixtures", "submit-job-documented.json"), "utf8"),
    });
    const body = await json(res);
    expect(res.status, JSON.stringify(body)).toBe(201);
    jobId = body.JobId as string;
    expect(jobId).toMatch(/^job-[a-z0-9]{8}$/);
    const done = await eventually(async () => {
      const j = await json(await fetch(`${first!.urls.jobs}/jobs/${jobId}`, { headers: auth() }));
      return j.JobState === "SUCCEED" || j.JobState === "FAILED" ? j : undefined;
    }, 20_000, 200);
    expect(done.JobState).toBe("SUCCEED");
    const cos = join(dataDir, "emulator-data", "cos", "bucket-1250000000", "logs");
    expect(filesUnder(cos).some((f) => readFileSync(f, "utf8").includes("6765"))).toBe(true);
  }, 30_000);

  it("runs node-abnormal from the topic's HTTP push when a node goes ABNORMAL, and the node is replaced", async () => {
    const raw = async () => (await (await fetch(`${first!.emulator}/_emulator/envs/${envId}`)).json()) as RawEnv;
    const before = await raw();
    const victim = before.nodes.find((n) => n.state === "RUNNING");
    expect(victim).toBeDefined();
    const marked = await fetch(`${first!.emulator}/_emulator/nodes/${victim!.id}/abnormal`, { method: "POST" });
    expect(marked.status).toBe(200);
    const run = await eventually(async () => {
      const recs = (await (await fetch(`${first!.local}/_local/invocations?function=node-abnormal&source=cmq`)).json()) as Array<{ ok: boolean; error?: string; trigger?: string }>;
      return recs.find((r) => r.ok) ?? undefined;
    }, 15_000, 100).catch(async (e) => {
      const recs = await (await fetch(`${first!.local}/_local/invocations?function=node-abnormal`)).text();
      throw new Error(`${(e as Error).message}; invocations: ${recs}`);
    });
    expect(run.ok).toBe(true);
    const healed = await eventually(async () => {
      const env = await raw();
      const running = env.nodes.filter((n) => n.state === "RUNNING");
      return running.length === 2 && !env.nodes.some((n) => n.id === victim!.id) ? env : undefined;
    }, 15_000, 100);
    expect(healed.nodes.filter((n) => n.state === "RUNNING")).toHaveLength(2);
    expect(run).toMatchObject({ trigger: "batch-node-events" });
    // It came as an HTTP push to node-abnormal's URL: its access log shows the path, token masked.
    const access = first!.output.filter((l) => l.startsWith("[node-abnormal]") && l.includes('"msg":"request"'));
    expect(access.some((l) => l.includes('"path":"/cmq/***"') && l.includes('"status":200'))).toBe(true);
    // A push without the token is refused before any Batch call.
    const forged = await fetch(`${first!.urls["node-abnormal"]}/cmq/not-the-token`, { method: "POST", body: "{}" });
    expect(forged.status).toBe(403);
  }, 40_000);

  it("fires the cost-report timer by invoke and writes the report to the local COS folder", async () => {
    const res = await fetch(`${first!.local}/_local/functions/cost-report/invoke`, { method: "POST" });
    const body = await json(res);
    expect(res.status, JSON.stringify(body)).toBe(200);
    const recs = (await (await fetch(`${first!.local}/_local/invocations?function=cost-report`)).json()) as Array<{ source: string; ok: boolean }>;
    expect(recs.at(-1)).toMatchObject({ source: "timer", ok: true });
    const written = filesUnder(join(dataDir, "emulator-data", "cos", "batch-reports-1250000000"));
    for (const ext of [".json", ".csv", ".md", ".html"]) expect(written.some((f) => f.endsWith(ext)), ext).toBe(true);
    // The same report on demand, over HTTP (cost-report's own Function URL).
    const today = new Date().toISOString().slice(0, 10);
    const costs = await fetch(`${first!.urls["cost-report"]}/costs?from=${today}&to=${new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)}`, { headers: auth() });
    expect(costs.status, await costs.clone().text()).toBe(200);
  }, 30_000);

  it("shuts down cleanly on Ctrl-C: every listener closed, no process left", async () => {
    const r = first!;
    await interrupt(r);
    // npm itself dies of the signal (its exit code says nothing); the stack says it stopped.
    expect(r.output.join("\n")).toContain("stack: SIGINT: shutting down");
    expect(r.output.join("\n")).toContain("stack: stopped");
    for (const url of Object.values(r.urls)) await expect(fetch(`${url}/_local/health`)).rejects.toThrow();
    await expect(fetch(`${r.emulator}/_emulator/health`)).rejects.toThrow();
    await eventually(() => {
      try {
        process.kill(-r.child.pid!, 0);
        return false;
      } catch {
        return true; // the process group is gone: no function instance or task left behind
      }
    }, 5000);
  }, 20_000);

  it("npm run invoke: with no stack running, a one-off stack serves the call", async () => {
    const cli = (...args: string[]) => promisify(execFile)(process.execPath, ["--import", "tsx", "local/stack/invoke-cli.ts", ...args], { cwd: ROOT, env: { ...ENV, PORT: "1" } });
    const file = join(dataDir, "timer.json");
    writeFileSync(file, JSON.stringify({ Type: "Timer", TriggerName: "daily-cost", Time: "2024-03-02T17:00:00Z", Message: "" }));
    const { stdout, stderr } = await cli("cost-report", "--event", file);
    expect(stderr).toMatch(/starting a one-off stack/);
    // The report covers the day before the timer's Time, in Asia/Shanghai.
    expect((JSON.parse(stdout) as { window: unknown }).window).toMatchObject({ from: "2024-03-01T16:00:00Z", to: "2024-03-02T16:00:00Z" });
    await expect(cli("no-such-function")).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining("no function no-such-function; functions: jobs, envs, node-abnormal, cost-report") });
    await expect(cli()).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining("usage: npm run invoke") });
  }, 30_000);

  it("keeps state across a restart: same demo env, the job still there", async () => {
    // Without the build this time, as one node process, to read the stack's own exit code.
    second = await start(process.execPath, ["--import", "tsx", "local/start.ts"]);
    const index = await json(await fetch(`${second.local}/_local`));
    expect(index.demoEnvId).toBe(envId);
    const j = await json(await fetch(`${second.urls.jobs}/jobs/${jobId}`, { headers: auth() }));
    expect(j.JobState).toBe("SUCCEED");
    process.kill(second.child.pid!, "SIGTERM");
    expect(await second.exited).toBe(0);
    expect(second.output.join("\n")).toContain("stack: stopped");
  }, 30_000);

  it("kill -9 under load, then a restart: no acknowledged job or env change is lost", async () => {
    // No cooldown, so every scale request is a real change.
    const noCooldown = { ENV_POLICY: JSON.stringify({ default: { cooldownSeconds: 0, maxNodes: 6 } }) };
    third = await start(process.execPath, ["--import", "tsx", "local/start.ts"], noCooldown);
    const r = third;
    const acked: string[] = [];
    const desired = { acked: 2, inFlight: 2 };
    let stop = false;
    const submitter = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const res = await fetch(`${r.urls.jobs}/jobs`, {
          method: "POST",
          headers: { ...auth(), "content-type": "application/json", "idempotency-key": `crash-${w}-${i}` },
          body: JSON.stringify({ Placement: { Zone: "ap-guangzhou-2" }, Job: { JobName: `crash-${w}-${i}`, Tasks: [{ TaskName: "t", EnvId: envId, Application: { DeliveryForm: "LOCAL", Command: "true" } }] } }),
        }).catch(() => undefined);
        if (res?.status === 201) acked.push((await json(res)).JobId as string);
      }
    };
    const scaler = async () => {
      for (let i = 0; !stop; i++) {
        desired.inFlight = 2 + (i % 3);
        const res = await fetch(`${r.urls.envs}/envs/${envId}/scale`, {
          method: "POST",
          headers: { ...auth(), "content-type": "application/json" },
          body: JSON.stringify({ DesiredComputeNodeCount: desired.inFlight, reason: "crash test" }),
        }).catch(() => undefined);
        if (res?.status === 200) desired.acked = desired.inFlight;
      }
    };
    const load = Promise.all([submitter(0), submitter(1), submitter(2), scaler()]);
    await eventually(() => acked.length >= 12, 20_000);
    process.kill(-r.child.pid!, "SIGKILL");
    stop = true;
    await load;
    await r.exited;

    fourth = await start(process.execPath, ["--import", "tsx", "local/start.ts"], noCooldown);
    for (const id of acked) {
      const res = await fetch(`${fourth.urls.jobs}/jobs/${id}?instances=false`, { headers: auth() });
      expect(res.status, `acknowledged job ${id} after kill -9`).toBe(200);
    }
    const env = await json(await fetch(`${fourth.urls.envs}/envs/${envId}`, { headers: auth() }));
    // The last acknowledged change holds, unless the one in flight at the kill landed too.
    expect([desired.acked, desired.inFlight]).toContain(env.DesiredComputeNodeCount);
  }, 60_000);

  it("reports the cost of imported history: timer fired by invoke, numbers in the local COS folder", async () => {
    const r = fourth!;
    const now = Date.now();
    const { state, date } = costHistory(now);
    expect((await fetch(`${r.emulator}/_emulator/state`, { method: "PUT", body: JSON.stringify(state) })).status).toBe(200);
    const event = { Type: "Timer", TriggerName: "daily-cost", Time: new Date(now).toISOString().replace(/\.\d{3}Z$/, "Z"), Message: "" };
    const res = await fetch(`${r.local}/_local/functions/cost-report/invoke`, { method: "POST", body: JSON.stringify(event) });
    expect(res.status, await res.clone().text()).toBe(200);
    const folder = join(dataDir, "emulator-data", "cos", "batch-reports-1250000000", "cost-reports", date);
    const report = JSON.parse(readFileSync(join(folder, "cost-report.json"), "utf8")) as { totals: { cost: number; coreHours: number }; partial: boolean };
    expect(report.totals).toMatchObject({ cost: 41.04, coreHours: 456 });
    expect(report.partial).toBe(false);
    expect(readFileSync(join(folder, "cost-report.csv"), "utf8")).toContain(`${date},env-cost0002,big-mem,ap-guangzhou,BS1.LARGE48,true,10,240`);
    expect(readFileSync(join(folder, "cost-report.md"), "utf8")).toContain("Cost: **41.04 CNY**");
    expect(readFileSync(join(folder, "cost-report.html"), "utf8")).toContain("<svg");
    process.kill(r.child.pid!, "SIGTERM");
    expect(await r.exited).toBe(0);
  }, 30_000);
});
