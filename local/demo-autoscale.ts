// The demo's autoscale step: an env at 0 nodes (named demo-autoscale-*, which the local stack's
// ENV_POLICY opts in with a 20 s idle window) grows for a job with several instances and shrinks
// back to 0 once its nodes have been idle that long. The autoscale timer does this every minute;
// the demo asks the function's own route (POST /envs/{EnvId}/autoscale) so it need not wait for
// the tick, and shows each decision's why.

type Json = Record<string, unknown>;
type Call = (method: string, path: string, body?: unknown, extra?: Record<string, string>) => Promise<{ status: number; body: Json }>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function demoAutoscale(call: Call, say: (line: string) => void, tour: string): Promise<string> {
  const created = await call(
    "POST",
    "/envs",
    {
      Placement: { Zone: "ap-guangzhou-2" },
      ComputeEnv: {
        EnvName: `demo-autoscale-${tour}`,
        EnvType: "MANAGED",
        DesiredComputeNodeCount: 0,
        EnvData: { InstanceType: "BS1.LARGE8", ImageId: "img-31tjrtph" },
      },
    },
    { "idempotency-key": `demo-autoscale-env-${tour}` },
  );
  const envId = created.body.EnvId as string | undefined;
  if (!envId) throw new Error("the autoscaled env was not created");
  say(`  env ${envId} at 0 nodes (ENV_POLICY: demo-autoscale-* from 0 to 4 nodes, idle window 20 s)`);

  const job = await call(
    "POST",
    "/jobs",
    {
      Placement: { Zone: "ap-guangzhou-2" },
      Job: {
        JobName: `demo-autoscale-${tour}`,
        Tasks: [{ TaskName: "Render", TaskInstanceNum: 3, EnvId: envId, Application: { DeliveryForm: "LOCAL", Command: "sleep 3" } }],
      },
    },
    { "idempotency-key": `demo-autoscale-job-${tour}` },
  );
  const jobId = job.body.JobId as string | undefined;
  if (!jobId) throw new Error("the job for the autoscaled env was not submitted");
  say(`  job ${jobId}: 3 instances wait for ${envId}`);

  const evaluate = async (): Promise<Json> => {
    const d = (await call("POST", `/envs/${envId}/autoscale`)).body;
    say(`  autoscale: ${d.Action} ${d.Before} → ${d.After} (${d.Rule}): ${d.Why}`);
    return d;
  };
  // The job's instances become RUNNABLE within a second or two of the submit.
  let up: Json = {};
  for (let i = 0; i < 20 && up.Action !== "scale_up"; i++) {
    up = await evaluate();
    if (up.Action !== "scale_up") await sleep(500);
  }
  if (up.Action !== "scale_up") throw new Error("autoscale did not scale the env up for the waiting work");

  // A long-poll: one answer when the job ends (GET /jobs/{JobId}?waitFor=…, at most 25 s a call).
  for (let i = 0; ; i++) {
    const j = (await call("GET", `/jobs/${jobId}?waitFor=SUCCEED,FAILED&timeout=25`)).body;
    if (j.JobState === "SUCCEED" || j.JobState === "FAILED") {
      say(`  job ${j.JobState}`);
      break;
    }
    if (i >= 3) throw new Error("the autoscaled job did not finish in 100 s");
  }
  say("  its nodes are idle now; autoscale keeps them for the idle window (20 s here, 600 s by default)…");
  const first = await evaluate();
  if (first.Action === "scale_down") return envId;
  await sleep(21_000);
  const down = await evaluate();
  if (down.Action !== "scale_down") throw new Error(`autoscale did not scale the idle env down: ${down.Why}`);
  for (let i = 0; i < 60; i++) {
    const e = (await call("GET", `/envs/${envId}`)).body;
    const counts = (e.NodeCounts as Json | undefined) ?? {};
    if (e.DesiredComputeNodeCount === 0 && !counts.Running && !counts.Starting) {
      say(`  ${envId} is back at 0 nodes`);
      return envId;
    }
    await sleep(500);
  }
  throw new Error("the env did not get back to 0 nodes");
}
