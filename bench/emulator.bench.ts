// Emulator requests per second (signed DescribeComputeEnvs through the full protocol path)
// against a bare Node HTTP server answering the same envelope, same client, same run.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { startEmulator } from "../local/emulator/server";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { ROOT } from "../scripts/bundle";

const SECRET_ID = "AKIDbench000000000000000000000000000";
const SECRET_KEY = "benchsecretkey000000000000000000";
const DURATION_MS = 3000;
const CONCURRENCY = 16;

async function load(url: string, sign: boolean): Promise<{ rps: number; errors: number; p50_ms: number; p99_ms: number }> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", join(ROOT, "bench", "load-client.ts"), url, sign ? "1" : "0", String(DURATION_MS), String(CONCURRENCY)],
    { env: { ...process.env, BENCH_SECRET_ID: SECRET_ID, BENCH_SECRET_KEY: SECRET_KEY }, encoding: "utf8" },
  );
  return JSON.parse(stdout);
}

export async function run(): Promise<Record<string, unknown>> {
  const bare = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const text = JSON.stringify({ Response: { ComputeEnvSet: [], TotalCount: 0, RequestId: "00000000-0000-0000-0000-000000000000" } });
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
      res.end(text);
    });
  });
  await new Promise<void>((r) => bare.listen(0, "127.0.0.1", () => r()));
  const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;
  const emu = await startEmulator({ credentials: [{ secretId: SECRET_ID, secretKey: SECRET_KEY }], exec: false });
  try {
    const baseline = await load(bareUrl, false);
    const emulator = await load(emu.url, true);
    return {
      concurrency: CONCURRENCY,
      seconds: DURATION_MS / 1000,
      bare_node: baseline,
      emulator,
      emulator_vs_bare: +(emulator.rps / baseline.rps).toFixed(2),
    };
  } finally {
    await emu.close();
    await new Promise<void>((r) => bare.close(() => r()));
  }
}
