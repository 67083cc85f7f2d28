// POST /jobs through the local gateway + jobs function (its built bundle, in its own process)
// + SDK + emulator, against the SDK calling the emulator's SubmitJob directly: p50 and p99
// latency at 1 and 50 concurrent clients, and the overhead ratio (target ≤ 1.3×).
//
// Pacing: the jobs function keeps Tencent's per-API quota on the client side (SubmitJob 7/s per
// instance, shared/batch/limiter.ts). This measures the latency a request pays, not the quota,
// so both paths are paced under it: one client sends 4 requests/s; 50 clients send rounds of 50
// at once, a second and a half apart, against a pool allowed 64 instances.
// The load runs in a process of its own (bench/submit-client.ts), as clients are elsewhere; the
// emulator runs in its own process too (as in `npm start`).
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
const SEQUENTIAL = 40;
const SEQUENTIAL_GAP_MS = 250;
const CONCURRENT = 50;
const ROUNDS = 4;
const ROUND_GAP_MS = 1500;

const round2 = (n: number) => Math.round(n * 100) / 100;
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;

function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  return { n: s.length, p50_ms: round2(pct(s, 50)), p99_ms: round2(pct(s, 99)) };
}

async function load(config: Record<string, unknown>): Promise<{ one: number[]; fifty: number[] }> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", join(ROOT, "bench", "submit-client.ts"), JSON.stringify({ sequential: SEQUENTIAL, sequentialGapMs: SEQUENTIAL_GAP_MS, concurrent: CONCURRENT, rounds: ROUNDS, roundGapMs: ROUND_GAP_MS, ...config })],
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
    const base = await load({ mode: "sdk", url: stack.emulator.url });
    const path = await load({ mode: "gateway", url: stack.gatewayUrl });
    const b1 = stats(base.one);
    const g1 = stats(path.one);
    const b50 = stats(base.fifty);
    const g50 = stats(path.fifty);
    return {
      pacing: `1 client: ${1000 / SEQUENTIAL_GAP_MS} req/s; 50 clients: ${ROUNDS} rounds of ${CONCURRENT} at once, ${ROUND_GAP_MS} ms apart (under the function's SubmitJob quota of 7/s per instance)`,
      sdk_direct: { clients_1: b1, clients_50: b50 },
      gateway_function_sdk: { clients_1: g1, clients_50: g50 },
      overhead_ratio: {
        clients_1: { p50: round2(g1.p50_ms / b1.p50_ms), p99: round2(g1.p99_ms / b1.p99_ms) },
        clients_50: { p50: round2(g50.p50_ms / b50.p50_ms), p99: round2(g50.p99_ms / b50.p99_ms) },
      },
      overhead_ms_p50: { clients_1: round2(g1.p50_ms - b1.p50_ms), clients_50: round2(g50.p50_ms - b50.p50_ms) },
      target: "≤ 1.3×",
      note: `every process shares ${cpus().length} cores: at 50 clients, 50 function instances, the gateway, the emulator and the clients compete for them`,
    };
  } finally {
    await stack.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
