// The load of bench/submit.bench.ts, in a process of its own (clients are elsewhere, not in the
// stack's event loop): `tsx bench/submit-client.ts <config-json>` prints {one, fifty}, the
// latencies in ms of 40 paced single requests and of 4 rounds of 50 at once. Credentials come in
// BENCH_API_KEY / BENCH_SECRET_ID / BENCH_SECRET_KEY (not argv, which `ps` shows).
// mode "gateway": POST /jobs through the local gateway with a plain keep-alive HTTP client (not
// fetch, whose own cost would count against the stack); mode "sdk": the SDK's SubmitJob,
// straight to the emulator, over a keep-alive agent too (node-fetch opens a connection per
// request without one, which would count against the baseline).
import { Agent, request } from "node:http";
import { Client as BatchClient } from "tencentcloud-sdk-nodejs/tencentcloud/services/batch/v20170312/batch_client";

interface Config {
  mode: "gateway" | "sdk";
  url: string;
  sequential: number;
  sequentialGapMs: number;
  concurrent: number;
  rounds: number;
  roundGapMs: number;
}
const cfg = JSON.parse(process.argv[2] ?? "{}") as Config;
const API_KEY = process.env.BENCH_API_KEY ?? "";

const body = (i: number) => ({
  Placement: { Zone: "ap-guangzhou-2" },
  Job: {
    JobName: `bench-${cfg.mode}-${i}`,
    Tasks: [
      {
        TaskName: "t1",
        Application: { DeliveryForm: "LOCAL", Command: "echo bench" },
        ComputeEnv: { EnvType: "MANAGED", EnvData: { InstanceType: "BS1.LARGE8", ImageId: "img-31tjrtph" } },
      },
    ],
  },
});

type Submit = (i: number) => Promise<void>;

const agent = new Agent({ keepAlive: true });
const gateway: Submit = (i) =>
  new Promise((resolve, reject) => {
    const payload = JSON.stringify(body(i));
    const req = request(
      `${cfg.url}/jobs`,
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
  profile: { httpProfile: { endpoint: cfg.url.replace(/^http:\/\//, ""), protocol: "http://", agent } },
});
const direct: Submit = async (i) => {
  const r = await sdk.SubmitJob(body(i) as never);
  if (!r.JobId) throw new Error("SubmitJob answered without JobId");
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function timed(submit: Submit, i: number): Promise<number> {
  const t0 = performance.now();
  await submit(i);
  return performance.now() - t0;
}

const submit = cfg.mode === "gateway" ? gateway : direct;
let seq = 0;
// Warm-up: connections, the function instances of the 50-client rounds, JIT.
for (let i = 0; i < 5; i++) await submit(seq++);
for (let r = 0; r < 2; r++) {
  await Promise.all(Array.from({ length: cfg.concurrent }, () => submit(seq++)));
  await sleep(cfg.roundGapMs);
}
const one: number[] = [];
for (let i = 0; i < cfg.sequential; i++) {
  const started = performance.now();
  one.push(await timed(submit, seq++));
  await sleep(Math.max(0, cfg.sequentialGapMs - (performance.now() - started)));
}
await sleep(cfg.roundGapMs);
const fifty: number[] = [];
for (let r = 0; r < cfg.rounds; r++) {
  fifty.push(...(await Promise.all(Array.from({ length: cfg.concurrent }, () => timed(submit, seq++)))));
  await sleep(cfg.roundGapMs);
}
agent.destroy();
process.stdout.write(JSON.stringify({ one, fifty }));
