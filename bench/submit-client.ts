// The load of bench/submit.bench.ts, in a process of its own (clients are elsewhere, not in the
// stack's event loop): `tsx bench/submit-client.ts <config-json>` prints, for each path, the
// latencies in ms of paced single requests (`one`), of single requests back to back (`burst`)
// and of rounds of concurrent requests (`fifty`).
// The two paths are interleaved (request by request, block by block, round by round), so that
// the drift of a noisy machine falls on both alike instead of on whichever ran second.
// "gateway": POST /jobs through the jobs function's local Function URL with a plain keep-alive HTTP client (not fetch,
// whose own cost would count against the stack); "sdk": the SDK's SubmitJob straight to the
// emulator, over a keep-alive agent too (node-fetch opens a connection per request without one).
// Credentials come in BENCH_API_KEY / BENCH_SECRET_ID / BENCH_SECRET_KEY (not argv, which `ps` shows).
import { Agent, request } from "node:http";
import { Client as BatchClient } from "tencentcloud-sdk-nodejs/tencentcloud/services/batch/v20170312/batch_client";

interface Config {
  /** The jobs function's local Function URL. */
  jobsUrl: string;
  emulatorUrl: string;
  sequential: number;
  sequentialGapMs: number;
  burst: number;
  concurrent: number;
  rounds: number;
  roundGapMs: number;
}
const cfg = JSON.parse(process.argv[2] ?? "{}") as Config;
const API_KEY = process.env.BENCH_API_KEY ?? "";
type Path = "sdk" | "gateway";
const PATHS: readonly Path[] = ["sdk", "gateway"];

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

const agent = new Agent({ keepAlive: true });
const viaGateway = (i: number) =>
  new Promise<void>((resolve, reject) => {
    const payload = JSON.stringify(body("gateway", i));
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

const sdk = new BatchClient({
  credential: { secretId: process.env.BENCH_SECRET_ID, secretKey: process.env.BENCH_SECRET_KEY },
  region: "ap-guangzhou",
  profile: { httpProfile: { endpoint: cfg.emulatorUrl.replace(/^http:\/\//, ""), protocol: "http://", agent } },
});
const direct = async (i: number) => {
  const r = await sdk.SubmitJob(body("sdk", i) as never);
  if (!r.JobId) throw new Error("SubmitJob answered without JobId");
};

const submit: Record<Path, (i: number) => Promise<void>> = { sdk: direct, gateway: viaGateway };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let seq = 0;
async function timed(path: Path): Promise<number> {
  const t0 = performance.now();
  await submit[path](seq++);
  return performance.now() - t0;
}
const samples = () => ({ sdk: [] as number[], gateway: [] as number[] });

// Warm-up: connections, the function instances of the concurrent rounds, JIT.
for (const path of PATHS) {
  for (let i = 0; i < 5; i++) await timed(path);
  for (let r = 0; r < 2; r++) {
    await Promise.all(Array.from({ length: cfg.concurrent }, () => timed(path)));
    await sleep(cfg.roundGapMs);
  }
}

// Paced: alternating single requests, each after the same idle gap.
const one = samples();
for (let i = 0; i < cfg.sequential; i++) {
  for (const path of PATHS) {
    const started = performance.now();
    one[path].push(await timed(path));
    await sleep(Math.max(0, cfg.sequentialGapMs - (performance.now() - started)));
  }
}
await sleep(cfg.roundGapMs);

// Back to back: alternating blocks of 20.
const burst = samples();
for (let b = 0; b < cfg.burst / 20; b++) for (const path of PATHS) for (let i = 0; i < 20; i++) burst[path].push(await timed(path));
await sleep(cfg.roundGapMs);

// Concurrent: alternating rounds.
const fifty = samples();
for (let r = 0; r < cfg.rounds; r++) {
  for (const path of PATHS) {
    fifty[path].push(...(await Promise.all(Array.from({ length: cfg.concurrent }, () => timed(path)))));
    await sleep(cfg.roundGapMs);
  }
}
agent.destroy();
process.stdout.write(JSON.stringify({ one, burst, fifty }));
