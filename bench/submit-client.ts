// The load of bench/submit.bench.ts, in a process of its own (clients are elsewhere, not in the
// stack's event loop): `tsx bench/submit-client.ts <config-json>` prints, for each path, the
// latencies in ms of paced single requests (`paced`) and of single requests back to back (`burst`).
// Three paths, interleaved request by request (the order rotates each turn), so that the drift of
// a noisy machine falls on all alike instead of on whichever ran last:
// - "sdk": the bare SubmitJob the function makes, through the SDK's batch client bundled with the
//   functions' shims (bench/submit-sdk-entry.ts), in this process, to the emulator;
// - "function": the jobs function's built bundle (dist/jobs/index.js) loaded in this process,
//   given the Function URL event the local listener would build for POST /jobs; it makes that
//   SubmitJob through its own SDK client to the same emulator;
// - "stack": POST /jobs to the jobs function's local Function URL listener (a plain keep-alive
//   HTTP client, not fetch, whose own cost would count against the stack), which hands the event
//   to the function's own process, which calls the emulator.
// Endpoint, credentials and API key come in the environment (not argv, which `ps` shows).
import { Agent, request } from "node:http";
import { createRequire } from "node:module";
import { buildSubmitRequest } from "../functions/jobs/submit";

interface Config {
  /** The jobs function's local Function URL. */
  jobsUrl: string;
  /** dist/jobs/index.js */
  jobsBundle: string;
  /** The baseline bundle of bench/submit-sdk-entry.ts. */
  sdkBundle: string;
  warmup: number;
  paced: number;
  pacedGapMs: number;
  burst: number;
}
const cfg = JSON.parse(process.argv[2] ?? "{}") as Config;
const API_KEY = process.env.BENCH_API_KEY ?? "";
const API_KEY_NAME = process.env.BENCH_API_KEY_NAME ?? "";
type Path = "sdk" | "function" | "stack";
const PATHS: readonly Path[] = ["sdk", "function", "stack"];

const body = (path: Path, i: number) => ({
  Placement: { Zone: "ap-guangzhou-2" },
  Job: {
    JobName: `bench-${path}-${i}`,
    Tasks: [
      {
        TaskName: "t1",
        Application: { DeliveryForm: "LOCAL", Command: "echo bench" },
        ComputeEnv: { EnvType: "MANAGED", EnvData: { InstanceType: "BS1.LARGE8", ImageId: "img-31tjrtph" } },
      },
    ],
  },
});

const require = createRequire(import.meta.url);
type Handler = (event: unknown, context: unknown) => Promise<{ statusCode: number; body: string }>;
const jobs = require(cfg.jobsBundle) as { main_handler: Handler };
const sdk = require(cfg.sdkBundle) as { submit(req: unknown): Promise<{ JobId?: string }> };

const agent = new Agent({ keepAlive: true });
const viaStack = (i: number) =>
  new Promise<void>((resolve, reject) => {
    const payload = JSON.stringify(body("stack", i));
    const req = request(
      `${cfg.jobsUrl}/jobs`,
      { method: "POST", agent, headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json", "content-length": Buffer.byteLength(payload) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          if (res.statusCode === 201) return resolve();
          reject(new Error(`POST /jobs answered ${res.statusCode}: ${Buffer.concat(chunks).toString("utf8").slice(0, 300)}`));
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(payload);
  });

// The event local/stack/events.ts functionUrlEvent builds from the same request.
const inProcess = async (i: number) => {
  const payload = JSON.stringify(body("function", i));
  const event = {
    body: payload,
    headers: {
      host: "127.0.0.1",
      connection: "keep-alive",
      authorization: `Bearer ${API_KEY}`,
      "content-type": "application/json",
      "content-length": String(Buffer.byteLength(payload)),
      "x-scf-remote-addr": "127.0.0.1",
    },
    httpMethod: "POST",
    path: "/jobs",
    queryString: {},
  };
  const r = await jobs.main_handler(event, { request_id: `bench-${i}` });
  if (r.statusCode !== 201) throw new Error(`the jobs bundle answered ${r.statusCode}: ${r.body.slice(0, 300)}`);
};

// The request the function sends for that body (its submitter tag included).
const direct = async (i: number) => {
  const r = await sdk.submit(buildSubmitRequest(body("sdk", i) as never, API_KEY_NAME, undefined));
  if (!r.JobId) throw new Error("SubmitJob answered without JobId");
};

const submit: Record<Path, (i: number) => Promise<void>> = { sdk: direct, function: inProcess, stack: viaStack };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let seq = 0;
async function timed(path: Path): Promise<number> {
  const t0 = performance.now();
  await submit[path](seq++);
  return performance.now() - t0;
}
const samples = (): Record<Path, number[]> => ({ sdk: [], function: [], stack: [] });
/** The paths in turn `i`'s order: each path takes each position equally often. */
const turn = (i: number) => PATHS.map((_, k) => PATHS[(i + k) % PATHS.length]!);

// Warm-up: connections, the function's first event (its dependencies), JIT.
for (let i = 0; i < cfg.warmup; i++) for (const path of turn(i)) await timed(path);

// Paced: each request after the same idle gap (an SCF function's usual traffic).
const paced = samples();
for (let i = 0; i < cfg.paced; i++) {
  for (const path of turn(i)) {
    const started = performance.now();
    paced[path].push(await timed(path));
    await sleep(Math.max(0, cfg.pacedGapMs - (performance.now() - started)));
  }
}
await sleep(500);

// Back to back: no idle time.
const burst = samples();
for (let i = 0; i < cfg.burst; i++) for (const path of turn(i)) burst[path].push(await timed(path));

agent.destroy();
process.stdout.write(JSON.stringify({ paced, burst }));
process.exit(0);
