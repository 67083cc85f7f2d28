// POST /jobs through the local gateway + jobs function (its built bundle, in its own process)
// + SDK + emulator, against the SDK calling the emulator's SubmitJob directly: p50 and p99
// latency at 1 and 50 concurrent clients, and the overhead ratio (target ≤ 1.3×).
//
// Pacing: the jobs function keeps Tencent's per-API quota on the client side (SubmitJob 7/s per
// instance, shared/batch/limiter.ts). This measures the latency a request pays, not the quota,
// so both paths are paced under it: one client sends 4 requests/s; 50 clients send rounds of 50
// at once, a second and a half apart, against a pool allowed 64 instances.
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { Client as BatchClient } from "tencentcloud-sdk-nodejs/tencentcloud/services/batch/v20170312/batch_client";
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

const body = (i: number) => ({
  Placement: { Zone: "ap-guangzhou-2" },
  Job: {
    JobName: `bench-${i}`,
    Tasks: [
      {
        TaskName: "t1",
        Application: { DeliveryForm: "LOCAL", Command: "echo bench" },
        ComputeEnv: { EnvType: "MANAGED", EnvData: { InstanceType: "BS1.LARGE8", ImageId: "img-31tjrtph" } },
      },
    ],
  },
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
const round2 = (n: number) => Math.round(n * 100) / 100;

function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  return { n: s.length, p50_ms: round2(pct(s, 50)), p99_ms: round2(pct(s, 99)) };
}

type Submit = (i: number) => Promise<void>;

async function timed(submit: Submit, i: number): Promise<number> {
  const t0 = performance.now();
  await submit(i);
  return performance.now() - t0;
}

async function measure(submit: Submit): Promise<{ one: number[]; fifty: number[] }> {
  let seq = 0;
  // Warm-up: connections, the function instances of the 50-client rounds, JIT.
  for (let i = 0; i < 5; i++) await submit(seq++);
  await Promise.all(Array.from({ length: CONCURRENT }, () => submit(seq++)));
  await sleep(ROUND_GAP_MS);

  const one: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    const started = performance.now();
    one.push(await timed(submit, seq++));
    await sleep(Math.max(0, SEQUENTIAL_GAP_MS - (performance.now() - started)));
  }
  await sleep(ROUND_GAP_MS);
  const fifty: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    fifty.push(...(await Promise.all(Array.from({ length: CONCURRENT }, () => timed(submit, seq++)))));
    await sleep(ROUND_GAP_MS);
  }
  return { one, fifty };
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
    },
    print: () => {},
    port: 0,
    demoEnv: false,
    timers: false,
  });
  try {
    const gateway: Submit = async (i) => {
      const res = await fetch(`${stack.gatewayUrl}/jobs`, {
        method: "POST",
        headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
        body: JSON.stringify(body(i)),
      });
      const text = await res.text();
      if (res.status !== 201) throw new Error(`POST /jobs answered ${res.status}: ${text.slice(0, 300)}`);
    };
    const sdk = new BatchClient({
      credential: { secretId: SECRET_ID, secretKey: SECRET_KEY },
      region: "ap-guangzhou",
      profile: { httpProfile: { endpoint: stack.emulator.url.replace(/^http:\/\//, ""), protocol: "http://" } },
    });
    const direct: Submit = async (i) => {
      const r = await sdk.SubmitJob(body(i) as never);
      if (!r.JobId) throw new Error("SubmitJob answered without JobId");
    };

    const base = await measure(direct);
    const path = await measure(gateway);
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
