// 300 concurrent identical `GET /jobs` (issue 18, found 6): the jobs function's handler in
// process (makeHandler, Function URL events) over the real SDK against the emulator, with the
// client-side quota in force (DescribeJobs 2/s, shared/batch/limiter.ts). Baseline: the same
// burst with single-flight off (createTencentBatch({ singleFlight: false })), measured in the
// same run on the same emulator and account. For each: the time from the burst's start to each
// answer (first, p50, max = the last answer), how many answered within the function's 30 s timeout,
// and the Batch calls the emulator received. The baseline takes ~150 s (300 calls at 2/s).
import { makeHandler } from "../functions/jobs/entry";
import { DEFAULT_RATES } from "../shared/batch/limiter";
import { createTencentBatch } from "../shared/batch/tencent-adapter";
import { parseApiKeys } from "../shared/http";
import { createLogger } from "../shared/log";
import { startTestEmulator, TEST_SECRET_ID, TEST_SECRET_KEY, type TestEmulator } from "../test/support/emulator";

const REQUESTS = 300;
const JOBS = 20;
const REGION = "ap-guangzhou";
const API_KEY = "bench-single-flight-key-0123456789";
const FUNCTION_TIMEOUT_MS = 30_000;

const round1 = (n: number) => Math.round(n * 10) / 10;
const round2 = (n: number) => Math.round(n * 100) / 100;
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;

async function emulator(t: TestEmulator, method: string, path: string): Promise<Record<string, number>> {
  return (await (await fetch(`${t.emu.url}/_emulator${path}`, { method })).json()) as Record<string, number>;
}

async function burst(t: TestEmulator, singleFlight: boolean) {
  const batch = createTencentBatch({
    region: REGION,
    endpoint: t.emu.url,
    credentials: () => ({ secretId: TEST_SECRET_ID, secretKey: TEST_SECRET_KEY }),
    rates: DEFAULT_RATES,
    singleFlight,
  });
  const handler = makeHandler({
    batch,
    region: REGION,
    keys: parseApiKeys(`bench:${API_KEY}:jobs:read`),
    logger: createLogger({ function: "jobs", bench: "single-flight" }, { sink: () => {}, level: "error" }),
  });
  const event = () => ({
    body: "",
    headers: { host: "127.0.0.1", authorization: `Bearer ${API_KEY}`, "x-scf-remote-addr": "127.0.0.1" },
    httpMethod: "GET",
    path: "/jobs",
    queryString: { limit: "20" },
  });
  const context = (i: number) => ({ request_id: `bench-sf-${i}` });
  // One request first (the lazy schemas, the connection), then a full bucket again.
  const warm = await handler(event(), context(-1));
  if (warm.statusCode !== 200) throw new Error(`GET /jobs answered ${warm.statusCode}: ${warm.body.slice(0, 300)}`);
  await new Promise((r) => setTimeout(r, 1500));

  await emulator(t, "DELETE", "/counters");
  const started = performance.now();
  const answers = await Promise.all(
    Array.from({ length: REQUESTS }, async (_, i) => {
      const r = await handler(event(), context(i));
      return { status: r.statusCode, ms: performance.now() - started, total: (JSON.parse(r.body) as { TotalCount?: number }).TotalCount };
    }),
  );
  const calls = await emulator(t, "GET", "/counters");
  const bad = answers.filter((a) => a.status !== 200 || a.total !== JOBS);
  if (bad.length) throw new Error(`${bad.length} answers were not 200 with ${JOBS} jobs (first: ${bad[0]?.status})`);
  const ms = answers.map((a) => a.ms).sort((a, b) => a - b);
  return {
    batch_calls: Object.values(calls).reduce((a, b) => a + b, 0),
    calls,
    first_ms: round1(ms[0] ?? Number.NaN),
    p50_ms: round1(pct(ms, 50)),
    max_ms: round1(ms[ms.length - 1] ?? Number.NaN),
    answered_within_30s: ms.filter((m) => m <= FUNCTION_TIMEOUT_MS).length,
  };
}

export async function run(): Promise<Record<string, unknown>> {
  const t = await startTestEmulator({ exec: false });
  try {
    const job = {
      Placement: { Zone: "ap-guangzhou-2" },
      Job: {
        JobName: "bench-sf",
        Priority: 1,
        Tasks: [
          {
            TaskName: "T",
            Application: { DeliveryForm: "LOCAL", Command: "true" },
            ComputeEnv: { EnvType: "MANAGED", EnvData: { InstanceType: "S1.SMALL1", ImageId: "img-xxxxxxxx" } },
          },
        ],
      },
    };
    for (let i = 0; i < JOBS; i++) await t.sdk.SubmitJob(structuredClone(job) as never);

    const before = await burst(t, false);
    const after = await burst(t, true);
    return {
      requests: `${REQUESTS} concurrent identical GET /jobs?limit=20 (${JOBS} jobs), one function instance in process, DescribeJobs quota ${DEFAULT_RATES.DescribeJobs}/s`,
      baseline_single_flight_off: before,
      single_flight_on: after,
      ratio: {
        last_answer: round2(before.max_ms / after.max_ms),
        p50: round2(before.p50_ms / after.p50_ms),
        batch_calls: round2(before.batch_calls / after.batch_calls),
      },
    };
  } finally {
    await t.stop();
  }
}
