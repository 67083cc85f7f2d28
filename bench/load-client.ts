// A load generator in its own process (so it doesn't share the server's event loop):
// `tsx bench/load-client.ts <url> <sign:0|1> <ms> <concurrency>` prints {rps, errors, p50, p99}.
import { signTc3 } from "../local/emulator/tc3";

const [url, sign, ms, conc] = process.argv.slice(2);
const SECRET_ID = process.env.BENCH_SECRET_ID ?? "";
const SECRET_KEY = process.env.BENCH_SECRET_KEY ?? "";
const body = "{}";
const lat: number[] = [];
let errors = 0;
const deadline = Date.now() + Number(ms);
const worker = async () => {
  while (Date.now() < deadline) {
    const ts = Math.floor(Date.now() / 1000);
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "x-tc-action": "DescribeComputeEnvs",
      "x-tc-version": "2017-03-12",
      "x-tc-region": "ap-guangzhou",
      "x-tc-timestamp": String(ts),
    };
    if (sign === "1") headers.authorization = signTc3({ secretId: SECRET_ID, secretKey: SECRET_KEY, host: "127.0.0.1", body, timestamp: ts });
    const t = performance.now();
    const res = await fetch(url!, { method: "POST", headers, body });
    const json = (await res.json()) as { Response?: { Error?: unknown } };
    lat.push(performance.now() - t);
    if (json.Response?.Error) errors++;
  }
};
const start = Date.now();
await Promise.all(Array.from({ length: Number(conc) }, worker));
lat.sort((a, b) => a - b);
const q = (p: number) => +(lat[Math.min(lat.length - 1, Math.floor(lat.length * p))] ?? 0).toFixed(2);
process.stdout.write(JSON.stringify({ rps: Math.round(lat.length / ((Date.now() - start) / 1000)), errors, p50_ms: q(0.5), p99_ms: q(0.99) }));
