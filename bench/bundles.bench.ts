// Each function bundle's size and module init time, against a naive bundle of just the SDK's
// batch client (no shims) built in the same run. Init = `require()` of the bundle in a fresh
// Node process whose module loader is already warm (an empty module is required first, as the
// SCF runtime has loaded its own code before it loads ours), median of several runs.
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { bundle, FUNCTIONS, ROOT } from "../scripts/bundle";

const RUNS = 15;
const EMPTY = join(ROOT, "bench", "empty-module.cjs");

function initMs(file: string): number {
  const samples: number[] = [];
  const code = `require(${JSON.stringify(EMPTY)});const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
  for (let i = 0; i < RUNS; i++) {
    samples.push(Number(execFileSync(process.execPath, ["-e", code], { encoding: "utf8", env: { PATH: process.env.PATH ?? "" } })));
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

export async function run(): Promise<Record<string, unknown>> {
  const out = join(ROOT, "bench", ".work", "bundles");
  mkdirSync(out, { recursive: true });
  const naive = await bundle(join(ROOT, "bench", "naive-entry.ts"), join(out, "naive", "index.js"), { shims: false });
  const naiveInit = initMs(naive.file);
  const rows: Array<Record<string, unknown>> = [];
  for (const name of FUNCTIONS) {
    const b = await bundle(join(ROOT, "functions", name, "index.ts"), join(out, name, "index.js"));
    const init = initMs(b.file);
    rows.push({
      function: name,
      kb: +(b.bytes / 1024).toFixed(1),
      init_ms: +init.toFixed(2),
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
