// POST /jobs through the jobs function's local Function URL + the function (its built bundle, in its own process)
// + SDK + emulator, against the SDK calling the emulator's SubmitJob directly: p50 and p99
// latency at 1 and 50 concurrent clients, and the overhead ratio (target ≤ 1.3×).
//
// Three loads: one client paced (a request every 200 ms per path: each finds the processes idle),
// one client back to back (no idle time; the function's client-side SubmitJob quota, 7/s per
// instance by default, is raised with BATCH_RATES for it), and rounds of 50 at once, 1.5 s apart,
// against a pool allowed 64 instances.
// The load runs in a process of its own (bench/submit-client.ts), as clients are elsewhere, and
// interleaves the two paths so that a noisy machine's drift falls on both; the emulator runs in
// its own process too (as in `npm start`).
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { startStack } from "../local/stack/stack";
import { buildFunction, FUNCTIONS, ROOT } from "../scripts/bundle";

const API_KEY = "bench-submit-key-0123456789abcdef";
const SECRET_ID = "AKIDbenchsubmit000000000000000000000";
const SECRET_KEY = "benchsubmitsecretkey000000000000";
const SEQUENTIAL = 100;
const SEQUENTIAL_GAP_MS = 200;
const BURST = 200;
const CONCURRENT = 50;
const ROUNDS = 6;
const ROUND_GAP_MS = 1500;

const round2 = (n: number) => Math.round(n * 100) / 100;
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;

function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  return { n: s.length, p50_ms: round2(pct(s, 50)), p99_ms: round2(pct(s, 99)) };
}

type Samples = { sdk: number[]; gateway: number[] };

async function load(config: Record<string, unknown>): Promise<{ one: Samples; burst: Samples; fifty: Samples }> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", join(ROOT, "bench", "submit-client.ts"), JSON.stringify({ sequential: SEQUENTIAL, sequentialGapMs: SEQUENTIAL_GAP_MS, burst: BURST, concurrent: CONCURRENT, rounds: ROUNDS, roundGapMs: ROUND_GAP_MS, ...config })],
    {
      cwd: ROOT,
      encoding: "utf8",
      maxBuffer: 16 * 1024 * 1024,
      env: { PATH: process.env.PATH, BENCH_API_KEY: API_KEY, BENCH_SECRET_ID: SECRET_ID, BENCH_SECRET_KEY: SECRET_KEY },
    },
  );
  return JSON.parse(stdout);
}

export async function run(): Promise<Record<string, unknown>> {
  for (const name of FUNCTIONS) await buildFunction(name);
  const dataDir = mkdtempSync(join(tmpdir(), "bench-submit-"));
  const stack = await startStack({
    root: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TMPDIR: process.env.TMPDIR,
      LOCAL_DATA_DIR: dataDir,
      API_KEYS: `bench:${API_KEY}`,
      TENCENTCLOUD_SECRETID: SECRET_ID,
      TENCENTCLOUD_SECRETKEY: SECRET_KEY,
      EMULATOR_EXEC: "off",
      BATCH_EMULATOR_PORT: "0",
      LOCAL_MAX_INSTANCES: "64",
      LOG_LEVEL: "warn",
      // The back-to-back phase sends ~250 requests/s from one client to one instance: over the
      // documented SubmitJob quota (7/s), raised here as an operator whose quota is higher would.
      BATCH_RATES: JSON.stringify({ SubmitJob: 1000 }),
      // The jobs wait for their node for the whole run: what is measured is the submit path,
      // not the emulator running hundreds of jobs in the background of both phases.
      EMULATOR_ANONYMOUS_NODE_MS: "3600000",
    },
    print: () => {},
    port: 0,
    demoEnv: false,
    timers: false,
  });
  try {
    // Both paths from one client process, interleaved (bench/submit-client.ts).
    const s = await load({ emulatorUrl: stack.emulator.url, jobsUrl: stack.functionUrls.jobs! });
    const b1 = stats(s.one.sdk);
    const g1 = stats(s.one.gateway);
    const bb = stats(s.burst.sdk);
    const gb = stats(s.burst.gateway);
    const b50 = stats(s.fifty.sdk);
    const g50 = stats(s.fifty.gateway);
    return {
      pacing: `interleaved; 1 client: a request every ${SEQUENTIAL_GAP_MS} ms per path; 1 client back to back: ${BURST} requests per path, no gap; 50 clients: ${ROUNDS} rounds of ${CONCURRENT} at once per path, ${ROUND_GAP_MS} ms apart`,
      sdk_direct: { clients_1: b1, clients_1_back_to_back: bb, clients_50: b50 },
      gateway_function_sdk: { clients_1: g1, clients_1_back_to_back: gb, clients_50: g50 },
      overhead_ratio: {
        clients_1: { p50: round2(g1.p50_ms / b1.p50_ms), p99: round2(g1.p99_ms / b1.p99_ms) },
        clients_1_back_to_back: { p50: round2(gb.p50_ms / bb.p50_ms), p99: round2(gb.p99_ms / bb.p99_ms) },
        clients_50: { p50: round2(g50.p50_ms / b50.p50_ms), p99: round2(g50.p99_ms / b50.p99_ms) },
      },
      overhead_ms_p50: { clients_1: round2(g1.p50_ms - b1.p50_ms), clients_1_back_to_back: round2(gb.p50_ms - bb.p50_ms), clients_50: round2(g50.p50_ms - b50.p50_ms) },
      target: "≤ 1.3×",
      note: `every process shares ${cpus().length} cores: at 50 clients, 50 function instances, the gateway, the emulator and the clients compete for them`,
    };
  } finally {
    await stack.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
