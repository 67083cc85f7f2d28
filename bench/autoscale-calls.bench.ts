// Batch calls per autoscale evaluation (issue 15: "bounded Batch calls per env per evaluation"):
// the function's evaluate() over the real SDK against the emulator, 10 opted-in envs at 0 nodes
// with 20 jobs (2 per env, 3 task instances each) waiting for them, in a dry run (reads only).
// The first evaluation of a container asks each job where its tasks were placed
// (DescribeJobSubmitInfo); later ones know it (Batch never changes it). Baseline: that cold
// evaluation, measured in the same run; the figure: the warm one, per env and as a ratio.
import { evaluate } from "../functions/autoscale/evaluate";
import { PlacementCache } from "../functions/autoscale/read";
import { EnvPolicySchema } from "../shared/env-policy";
import { createLogger } from "../shared/log";
import { eventually, startTestEmulator, type TestEmulator } from "../test/support/emulator";

const ENVS = 10;
const JOBS_PER_ENV = 2;
const INSTANCES = 3;

async function counters(t: TestEmulator, method = "GET"): Promise<Record<string, number>> {
  return (await (await fetch(`${t.emu.url}/_emulator/counters`, { method })).json()) as Record<string, number>;
}
const total = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);

export async function run(): Promise<Record<string, unknown>> {
  const t = await startTestEmulator({ exec: false });
  try {
    const envIds: string[] = [];
    for (let i = 0; i < ENVS; i++) {
      const { envId } = await t.port.createEnv({
        Placement: { Zone: "ap-guangzhou-2" },
        ComputeEnv: { EnvName: `bench-as-${i}`, DesiredComputeNodeCount: 0, EnvData: { InstanceType: "BS1.LARGE8", ImageId: "img-31tjrtph" }, Tags: [{ Key: "batch-scf/autoscale", Value: "on" }] },
      });
      envIds.push(envId);
      for (let j = 0; j < JOBS_PER_ENV; j++)
        await t.port.submitJob({
          Placement: { Zone: "ap-guangzhou-2" },
          Job: { JobName: `bench-as-${i}-${j}`, Tasks: [{ TaskName: "work", TaskInstanceNum: INSTANCES, EnvId: envId, Application: { DeliveryForm: "LOCAL", Command: "true" } }] },
        });
    }
    await eventually(async () => (await t.port.listJobs({ filters: [{ Name: "job-state", Values: ["RUNNABLE"] }], limit: 100 })).total === ENVS * JOBS_PER_ENV, 30_000);
    const deps = {
      batch: t.port,
      policy: EnvPolicySchema.parse({}),
      logger: createLogger({ function: "autoscale", bench: "calls" }, { sink: () => {}, level: "error" }),
      placements: new PlacementCache(),
      dryRun: true,
    };
    const measure = async () => {
      await counters(t, "DELETE");
      const r = await evaluate(deps, { now: Date.now() });
      const c = await counters(t);
      const ups = r.envs.filter((e) => e.status === "decided" && e.decision.action === "scale_up").length;
      return { calls: total(c), reported: r.calls, byAction: c, evaluated: r.evaluated, scaleUps: ups };
    };
    const cold = await measure();
    const warm = await measure();
    const perEnv = (n: number) => Math.round((n / ENVS) * 100) / 100;
    process.stdout.write(
      `${ENVS} envs, ${ENVS * JOBS_PER_ENV} waiting jobs: cold evaluation ${cold.calls} calls (${perEnv(cold.calls)} per env), ` +
        `warm ${warm.calls} (${perEnv(warm.calls)} per env, ${Math.round((warm.calls / cold.calls) * 100) / 100}× the cold one); ` +
        `scale-ups decided: ${warm.scaleUps} of ${warm.evaluated}\n  warm by action: ${JSON.stringify(warm.byAction)}\n`,
    );
    return {
      envs: ENVS,
      jobs: ENVS * JOBS_PER_ENV,
      cold_calls: cold.calls,
      warm_calls: warm.calls,
      warm_per_env: perEnv(warm.calls),
      warm_vs_cold: Math.round((warm.calls / cold.calls) * 100) / 100,
      counted_by_function_matches_emulator: cold.reported === cold.calls && warm.reported === warm.calls,
      warm_by_action: warm.byAction,
      scale_ups_decided: warm.scaleUps,
    };
  } finally {
    await t.stop();
  }
}
