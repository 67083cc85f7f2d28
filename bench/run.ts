// `npm run bench`: every benchmark, each as a ratio against a baseline measured in the same
// run; results printed and written to bench/results.md with the machine and date.
import { existsSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { ROOT } from "../scripts/bundle";

type Bench = { run(): Promise<Record<string, unknown>> };

const BENCHES: Array<[string, string]> = [
  ["Function bundles: size and init vs a naive SDK bundle", "bundles.bench.ts"],
  ["Emulator requests per second vs a bare Node HTTP server", "emulator.bench.ts"],
  ["POST /jobs: the jobs function in process vs the bare SDK call it makes, and the local stack's hop", "submit.bench.ts"],
  ["Event storm: Batch calls per env for 1,000 COMPUTE_NODE_ABNORMAL events over 10 envs", "event-storm.bench.ts"],
  ["Cost report at 2,500 nodes × 30 days vs parsing the same input", "cost-report.bench.ts"],
  ["300 concurrent identical GET /jobs at the DescribeJobs quota: single-flight reads vs none", "single-flight.bench.ts"],
  ["Autoscale: a simulated day over 20 envs vs an oracle and envs fixed for their peak", "autoscale.bench.ts"],
  ["Autoscale: Batch calls per evaluation, 10 opted-in envs with waiting work, cold vs warm container", "autoscale-calls.bench.ts"],
  ["Batch calls per jobs request by the number of served regions (BATCH_REGIONS)", "regions.bench.ts"],
];

const only = process.argv.slice(2);
const sections: string[] = [];
for (const [title, file] of BENCHES) {
  if (only.length && !only.some((o) => file.includes(o))) continue;
  const path = join(ROOT, "bench", file);
  if (!existsSync(path)) {
    process.stdout.write(`\n## ${title}\n(not present yet: bench/${file})\n`);
    sections.push(`## ${title}\n\nNot measured: \`bench/${file}\` does not exist yet.\n`);
    continue;
  }
  process.stdout.write(`\n## ${title}\n`);
  try {
    const mod = (await import(path)) as Bench;
    const started = Date.now();
    const result = await mod.run();
    const text = JSON.stringify(result, null, 2);
    process.stdout.write(`${text}\n(${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    sections.push(`## ${title}\n\n\`\`\`json\n${text}\n\`\`\`\n`);
  } catch (e) {
    process.stdout.write(`FAILED: ${(e as Error).stack}\n`);
    sections.push(`## ${title}\n\nFailed: ${(e as Error).message}\n`);
  }
}

const header = `# Benchmark results\n\nMeasured by \`npm run bench\` on ${new Date().toISOString()} — ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}.\nEach figure is a ratio against a baseline measured in the same run.\n\n`;
if (!only.length) writeFileSync(join(ROOT, "bench", "results.md"), header + sections.join("\n"));
process.exit(0);
