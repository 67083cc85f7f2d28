// POST /jobs, two questions, each a comparison inside one run (bench/submit-client.ts runs the
// three paths interleaved request by request from one client process):
// a. the function in process: the jobs function's built bundle (dist/jobs/index.js, what SCF
//    runs) loaded in the client's process, given a Function URL event for POST /jobs; it makes
//    one SubmitJob through its own SDK client to the emulator and answers 201. Baseline: that
//    same SubmitJob through the SDK's batch client bundled with the same shims, to the same
//    emulator. Target ≤ 1.1× at p50 and p99.
// b. the local stack's hop: the same POST /jobs through the jobs function's local Function URL
//    listener, which hands the event to the function's own process (`npm start`'s path). Target:
//    ≤ 2 ms added at p50 over the function in process; p99 printed for information.
// Two loads at one client: paced (a request every PACED_GAP_MS per path: each finds the
// processes idle, as an SCF function's usual traffic does) and back to back. The function's
// client-side SubmitJob quota (7/s per instance by default) is raised with BATCH_RATES for both,
// in the client's process and in the stack's: the bench measures latency, not the quota.
// The emulator runs in its own process (as in `npm start`); its jobs wait for a node for the
// whole run, so it is not running hundreds of jobs behind the measurement.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { startStack } from "../local/stack/stack";
import { bundle, buildFunction, FUNCTIONS, ROOT } from "../scripts/bundle";

const API_KEY_NAME = "bench";
const API_KEY = "bench-submit-key-0123456789abcdef";
const SECRET_ID = "AKIDbenchsubmit000000000000000000000";
const SECRET_KEY = "benchsubmitsecretkey000000000000";
const REGION = "ap-guangzhou";
const RATES = JSON.stringify({ SubmitJob: 1000 });
const WARMUP = 30;
const PACED = 200;
const PACED_GAP_MS = 100;
const BURST = 500;

const round2 = (n: number) => Math.round(n * 100) / 100;
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;

function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  return { n: s.length, p50_ms: round2(pct(s, 50)), p99_ms: round2(pct(s, 99)) };
}

type Path = "sdk" | "function" | "stack";
type Samples = Record<Path, number[]>;

async function load(config: Record<string, unknown>, emulatorUrl: string): Promise<{ paced: Samples; burst: Samples }> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", join(ROOT, "bench", "submit-client.ts"), JSON.stringify({ warmup: WARMUP, paced: PACED, pacedGapMs: PACED_GAP_MS, burst: BURST, ...config })],
    {
      cwd: ROOT,
      encoding: "utf8",
      maxBuffer: 16 * 1024 * 1024,
      env: {
        PATH: process.env.PATH,
        BENCH_API_KEY: API_KEY,
        BENCH_API_KEY_NAME: API_KEY_NAME,
        BENCH_BATCH_HOST: emulatorUrl.replace(/^http:\/\//, ""),
        // The in-process function's environment, as the stack gives the function process.
        TENCENTCLOUD_REGION: REGION,
        TENCENTCLOUD_SECRETID: SECRET_ID,
        TENCENTCLOUD_SECRETKEY: SECRET_KEY,
        BATCH_ENDPOINT: emulatorUrl,
        BATCH_RATES: RATES,
        API_KEYS: `${API_KEY_NAME}:${API_KEY}`,
        LOG_LEVEL: "warn",
      },
    },
  );
  return JSON.parse(stdout);
}

function compare(s: Samples) {
  const sdk = stats(s.sdk);
  const fn = stats(s.function);
  const stack = stats(s.stack);
  const ratio = { p50: round2(fn.p50_ms / sdk.p50_ms), p99: round2(fn.p99_ms / sdk.p99_ms) };
  const added = { p50: round2(stack.p50_ms - fn.p50_ms), p99: round2(stack.p99_ms - fn.p99_ms) };
  return {
    sdk_direct: sdk,
    function_in_process: fn,
    stack_function_url: stack,
    function_over_sdk: ratio,
    stack_added_ms: added,
    met: { function_le_1_1x: ratio.p50 <= 1.1 && ratio.p99 <= 1.1, stack_hop_le_2ms_p50: added.p50 <= 2 },
  };
}

export async function run(): Promise<Record<string, unknown>> {
  for (const name of FUNCTIONS) await buildFunction(name);
  const sdkBundle = await bundle(join(ROOT, "bench", "submit-sdk-entry.ts"), join(ROOT, "bench", ".work", "submit-sdk", "index.js"));
  const dataDir = mkdtempSync(join(tmpdir(), "bench-submit-"));
  const stack = await startStack({
    root: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TMPDIR: process.env.TMPDIR,
      LOCAL_DATA_DIR: dataDir,
      API_KEYS: `${API_KEY_NAME}:${API_KEY}`,
      TENCENTCLOUD_SECRETID: SECRET_ID,
      TENCENTCLOUD_SECRETKEY: SECRET_KEY,
      EMULATOR_EXEC: "off",
      BATCH_EMULATOR_PORT: "0",
      LOG_LEVEL: "warn",
      BATCH_RATES: RATES,
      EMULATOR_ANONYMOUS_NODE_MS: "3600000",
    },
    print: () => {},
    port: 0,
    demoEnv: false,
    timers: false,
  });
  try {
    const s = await load({ jobsUrl: stack.functionUrls.jobs!, jobsBundle: join(ROOT, "dist", "jobs", "index.js"), sdkBundle: sdkBundle.file }, stack.emulator.url);
    const paced = compare(s.paced);
    const burst = compare(s.burst);
    return {
      measured:
        "a: dist/jobs/index.js in the client's process, a Function URL event for POST /jobs → SubmitJob through its SDK client → 201, vs that SubmitJob through the SDK's batch client bundled with the same shims; b: POST /jobs through the jobs function's local Function URL listener and the function's own process, vs a; all to one emulator process",
      pacing: `1 client, the three paths interleaved request by request after ${WARMUP} warm-up turns; paced: a request every ${PACED_GAP_MS} ms, ${PACED} per path; back to back: ${BURST} per path, no gap`,
      one_client_paced: paced,
      one_client_back_to_back: burst,
      targets: "a: function in process ≤ 1.1× the bare SDK call at p50 and p99; b: the local stack's hop adds ≤ 2 ms at p50 over the function in process",
      met: {
        function_le_1_1x: paced.met.function_le_1_1x && burst.met.function_le_1_1x,
        stack_hop_le_2ms_p50: paced.met.stack_hop_le_2ms_p50 && burst.met.stack_hop_le_2ms_p50,
      },
      note: `every process (client, stack, function instance, emulator) shares ${cpus().length} cores with whatever else the machine runs`,
    };
  } finally {
    await stack.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
