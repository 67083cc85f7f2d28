// `npm run demo`: a scripted tour through the public HTTP API of a running stack (`npm start`
// in another terminal; when none answers on PORT, the demo starts one itself). It creates an
// environment, submits the documented example job, watches it succeed, reads its log, breaks a
// node (the emulator's test route stands in for a real failure) and watches node-abnormal
// replace it, lets autoscale grow an env from 0 for a job and shrink it back, then produces a
// cost report. It prints what happens as it happens. It calls each
// function at its own local URL (the stack's GET /_local lists them). The API key: API_KEY when set
// (needed when the stack runs with API_KEYS), else the key the stack generated.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { demoAutoscale } from "./demo-autoscale";
import { demoNotifications } from "./demo-notify";
import { type Stack, startStack } from "./stack/stack";

/**
 * The user guide's SubmitJob example (test/fixtures/submit-job-documented.json). The guide runs
 * `python`; many machines only have `python3`, so the tour runs that.
 */
function documentedJob(): Record<string, unknown> {
  const text = readFileSync(new URL("../test/fixtures/submit-job-documented.json", import.meta.url), "utf8");
  return JSON.parse(text.replace('"python -c', '"python3 -c')) as Record<string, unknown>;
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const say = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Json = Record<string, unknown>;

async function main(): Promise<void> {
  let local = `http://127.0.0.1:${process.env.PORT && process.env.PORT !== "0" ? process.env.PORT : "3000"}`;
  let own: Stack | undefined;
  let index: Json | undefined = await fetch(`${local}/_local`)
    .then((r) => (r.ok ? (r.json() as Promise<Json>) : undefined))
    .catch(() => undefined);
  if (!index) {
    say(`No stack answers on ${local}; starting one for the tour (run \`npm start\` yourself to keep it).`);
    own = await startStack({ root, env: { ...process.env, BATCH_EMULATOR_PORT: "0" }, port: 0, demoEnv: false, print: () => {} });
    local = own.localApiUrl;
    index = (await (await fetch(`${local}/_local`)).json()) as Json;
  }
  const emulator = index.emulator as string;
  const urls = (index.functionUrls ?? {}) as Record<string, string>;
  /** The function URL serving `path`: jobs serves /jobs…, envs /envs…. */
  const urlFor = (path: string): string => {
    const fn = /^\/envs\/[^/]+\/autoscale/.test(path) ? "autoscale" : path.startsWith("/jobs") ? "jobs" : path.startsWith("/envs") ? "envs" : path.startsWith("/costs") ? "cost-report" : undefined;
    const url = fn ? urls[fn] : local;
    if (!url) throw new Error(`the stack has no URL for ${fn}`);
    return `${url}${path}`;
  };
  const dataDir = resolve(root, process.env.LOCAL_DATA_DIR || ".local");
  const keyFile = join(dataDir, "api-key");
  const key = process.env.API_KEY || own?.localKey?.key || (existsSync(keyFile) ? readFileSync(keyFile, "utf8").trim() : undefined);
  if (!key) {
    throw new Error(`no API key: ${keyFile} does not exist (the stack was started with API_KEYS); run the demo with API_KEY=<a key of API_KEYS with jobs:* and envs:* scopes>`);
  }
  const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
  const call = async (method: string, path: string, body?: unknown, extra: Record<string, string> = {}): Promise<{ status: number; body: Json }> => {
    const res = await fetch(urlFor(path), { method, headers: { ...headers, ...extra }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    let parsed: Json;
    try {
      parsed = JSON.parse(text) as Json;
    } catch {
      parsed = { raw: text };
    }
    say(`  ${method} ${path} → ${res.status}`);
    if (res.status >= 400) say(`    ${JSON.stringify(parsed).slice(0, 400)}`);
    return { status: res.status, body: parsed };
  };

  try {
    say(`\n1. Create a compute environment: 2 × BS1.LARGE8 in ap-guangzhou-2, node events to the topic node-abnormal listens on`);
    const topic = Object.keys((index.topics as Json) ?? {})[0] ?? "batch-node-events";
    // A fresh env per tour: a second tour on the same env would meet node-abnormal's cooldown.
    const tour = Date.now().toString(36);
    const created = await call(
      "POST",
      "/envs",
      {
        Placement: { Zone: "ap-guangzhou-2" },
        ComputeEnv: {
          EnvName: `demo-tour-${tour}`,
          EnvType: "MANAGED",
          DesiredComputeNodeCount: 2,
          EnvData: { InstanceType: "BS1.LARGE8", ImageId: "img-31tjrtph" },
          Notifications: [{ TopicName: topic, EventConfigs: [{ EventName: "COMPUTE_NODE_ABNORMAL" }] }],
        },
      },
      { "idempotency-key": `demo-tour-env-${tour}` },
    );
    const envId = (created.body.EnvId ?? created.body.envId) as string | undefined;
    if (!envId) throw new Error("the env was not created");
    say(`  env ${envId}`);

    say("\n2. Watch its nodes come up");
    let env = await waitFor(
      async () => (await fetch(urlFor(`/envs/${envId}`), { headers })).json() as Promise<Json>,
      (e) => {
        const c = e.NodeCounts as Json | undefined;
        return `  desired ${e.DesiredComputeNodeCount}, running ${c?.Running ?? "?"}, starting ${c?.Starting ?? "?"}`;
      },
      (e) => (e.NodeCounts as Json | undefined)?.Running === e.DesiredComputeNodeCount,
      60_000,
    );
    say(`  cost now: ${env.CostPerHour} ${env.Currency}/h for ${env.Cores} cores`);

    say("\n3. Submit the documented example job (batch-facts §2, as the guide prints it)");
    const job = await call(
      "POST",
      "/jobs",
      documentedJob(),
      { "idempotency-key": `demo-tour-job-${Date.now()}` },
    );
    const jobId = job.body.JobId as string | undefined;
    if (!jobId) throw new Error("the job was not submitted");
    say(`  job ${jobId}`);

    say("\n4. Watch it run");
    const done = await waitFor(
      async () => (await fetch(urlFor(`/jobs/${jobId}`), { headers })).json() as Promise<Json>,
      (j) => `  ${j.JobState}`,
      (j) => j.JobState === "SUCCEED" || j.JobState === "FAILED",
      60_000,
    );
    if (done.JobState !== "SUCCEED") throw new Error(`the job ended ${done.JobState}: ${done.StateReason}`);

    say("\n5. Read its log");
    const logs = await call("GET", `/jobs/${jobId}/logs?task=Task1`);
    for (const i of (logs.body.Instances as Json[] | undefined) ?? []) {
      say(`  instance ${i.TaskInstanceIndex} stdout: ${String(i.Stdout).trim()}`);
      say(`  full log: ${JSON.stringify(i.FullLog)}`);
    }

    say("\n6. Break a node (the emulator's test route stands in for a real failure) and watch it get replaced");
    env = (await (await fetch(urlFor(`/envs/${envId}`), { headers })).json()) as Json;
    const nodes = (env.ComputeNodes as Json[] | undefined) ?? [];
    const victim = nodes.find((n) => n.ComputeNodeState === "RUNNING");
    if (!victim) throw new Error("no running node to break");
    const age = Number(victim.AgeSeconds ?? 0);
    if (age < 11) {
      say(`  the node is ${age} s old; node-abnormal leaves nodes younger than its startup grace alone, so wait ${11 - age} s`);
      await sleep((11 - age) * 1000);
    }
    await fetch(`${emulator}/_emulator/nodes/${victim.ComputeNodeId}/abnormal`, { method: "POST" });
    say(`  ${victim.ComputeNodeId} is ABNORMAL; Batch publishes COMPUTE_NODE_ABNORMAL to ${topic}`);
    await waitFor(
      async () => (await fetch(urlFor(`/envs/${envId}`), { headers })).json() as Promise<Json>,
      (e) =>
        `  ${((e.ComputeNodes as Json[] | undefined) ?? [])
          .map((n) => `${n.ComputeNodeId} ${n.ComputeNodeState}`)
          .join(", ")}`,
      (e) => {
        const list = (e.ComputeNodes as Json[] | undefined) ?? [];
        return !list.some((n) => n.ComputeNodeId === victim.ComputeNodeId) && list.filter((n) => n.ComputeNodeState === "RUNNING").length === e.DesiredComputeNodeCount;
      },
      60_000,
    );
    const runs = (await (await fetch(`${local}/_local/invocations?function=node-abnormal`)).json()) as Json[];
    say(`  node-abnormal ran ${runs.length} time(s), pushed by the topic to its URL; the env is back to its desired healthy capacity`);

    say("\n7. Autoscale: an env at 0 nodes grows for a job's instances and shrinks back to 0 when they are done");
    const scaledEnvId = await demoAutoscale(call, say, tour);

    say("\n8. Produce a cost report for today so far (the daily timer, fired on demand with a window)");
    const now = new Date();
    const from = new Date(now.getTime() - 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const to = new Date(now.getTime() + 60_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const res = await fetch(`${local}/_local/functions/cost-report/invoke`, {
      method: "POST",
      body: JSON.stringify({ Type: "Timer", TriggerName: "daily-cost", Time: now.toISOString().replace(/\.\d{3}Z$/, "Z"), Message: JSON.stringify({ from, to }) }),
    });
    const report = (await res.json()) as Json;
    say(`  ${report.summary ?? JSON.stringify(report).slice(0, 300)}`);
    for (const f of (report.files as string[] | undefined) ?? []) say(`  ${f}`);
    say(`  (locally, cos://<bucket-appid>.cos.<region>.myqcloud.com/<key> is the file ${join(dataDir, "emulator-data", "cos")}/<bucket-appid>/<key>)`);
    // The same report on demand (GET /costs): the fixed-size env idles, the autoscaled one hardly.
    const costs = (await call("GET", `/costs?from=${from}&to=${to}`)).body;
    for (const e of (costs.envs as Json[] | undefined) ?? []) {
      if (e.envId !== envId && e.envId !== scaledEnvId) continue;
      const s = e.summary as Json;
      say(`  ${e.envName}: ${s.coreHours} core-hours, ${s.idlePercent} % idle${e.envId === scaledEnvId ? " (autoscaled)" : " (fixed at 2 nodes)"}`);
    }

    say("\n9. Clean up: delete the tour's environments (their nodes are destroyed first)");
    for (const id of [envId, scaledEnvId]) {
      const deleted = await fetch(urlFor(`/envs/${id}?force=true`), { method: "DELETE", headers });
      say(`  DELETE /envs/${id} → ${deleted.status}`);
    }
    await demoNotifications(call, say, documentedJob(), 10);
    say("\nDone.");
  } finally {
    await own?.close();
  }
}

async function waitFor<T>(read: () => Promise<T>, show: (v: T) => string, done: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    const v = await read();
    const line = show(v);
    if (line !== last) say(line);
    last = line;
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`gave up after ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`demo failed: ${(e as Error).message}\n`);
    process.exit(1);
  },
);
