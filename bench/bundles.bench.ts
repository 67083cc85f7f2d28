// Each function bundle's size and module init time, against a naive bundle of just the SDK's
// batch client (no shims) built in the same run. Init = `require()` of the bundle in a fresh
// Node process whose module loader is already warm (an empty module is required first, as the
// SCF runtime has loaded its own code before it loads ours), median of several runs.
// Module init is only part of a cold start: the bundles evaluate their code on the first
// event, so `cold_first_event_ms` also times require + the first event (one that needs no
// Batch call: a request without a key, a poison CMQ message), which is what a cold start costs.
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { bundle, FUNCTIONS, ROOT } from "../scripts/bundle";

const RUNS = 25;
const EMPTY = join(ROOT, "bench", "empty-module.cjs");

const ENV = {
  TENCENTCLOUD_REGION: "ap-guangzhou",
  TENCENTCLOUD_SECRETID: "AKIDbench",
  TENCENTCLOUD_SECRETKEY: "bench",
  API_KEYS: "bench:bench-key-0123456789abcdef",
  COST_REPORT_DEST: "cos://bench-1250000000.cos.ap-guangzhou.myqcloud.com/r/",
  LOG_LEVEL: "error",
};
const HTTP_EVENT = { httpMethod: "GET", path: "/openapi.json", headers: {}, body: "", queryString: {} };
const CMQ_EVENT = { Records: [{ CMQ: { type: "topic", topicName: "t", msgId: "1", msgBody: "not json" } }] };
const FIRST_EVENT: Record<string, unknown> = { jobs: HTTP_EVENT, envs: HTTP_EVENT, "cost-report": HTTP_EVENT, "node-abnormal": CMQ_EVENT };

function median(file: string, code: string): number {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const out = execFileSync(process.execPath, ["-e", code], { cwd: dirname(file), encoding: "utf8", env: { PATH: process.env.PATH ?? "", ...ENV } });
    samples.push(Number(out.trim().split("\n").pop()));
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

const initMs = (file: string) =>
  median(file, `require(${JSON.stringify(EMPTY)});const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`);

const coldMs = (file: string, event: unknown) =>
  median(
    file,
    `require(${JSON.stringify(EMPTY)});const t=process.hrtime.bigint();require(${JSON.stringify(file)}).main_handler(${JSON.stringify(event)},{}).then(()=>process.stdout.write("\\n"+String(Number(process.hrtime.bigint()-t)/1e6)))`,
  );

export async function run(): Promise<Record<string, unknown>> {
  const out = join(ROOT, "bench", ".work", "bundles");
  mkdirSync(out, { recursive: true });
  const naive = await bundle(join(ROOT, "bench", "naive-entry.ts"), join(out, "naive", "index.js"), { shims: false });
  const naiveInit = initMs(naive.file);
  const rows: Array<Record<string, unknown>> = [];
  for (const name of FUNCTIONS) {
    const b = await bundle(join(ROOT, "functions", name, "index.ts"), join(out, name, "index.js"));
    const init = initMs(b.file);
    const cold = coldMs(b.file, FIRST_EVENT[name]);
    rows.push({
      function: name,
      kb: +(b.bytes / 1024).toFixed(1),
      init_ms: +init.toFixed(2),
      cold_first_event_ms: +cold.toFixed(2),
      size_ratio_vs_naive: +(naive.bytes / b.bytes).toFixed(2),
      init_speedup_vs_naive: +(naiveInit / init).toFixed(2),
      within_budget: b.bytes <= 150 * 1024 && init <= 10,
    });
  }
  return {
    naive_sdk_bundle: { kb: +(naive.bytes / 1024).toFixed(1), init_ms: +naiveInit.toFixed(2) },
    functions: rows,
    targets: "≤ 150 KB, ≤ 10 ms init, ≥ 8× faster init than the naive bundle",
  };
}
