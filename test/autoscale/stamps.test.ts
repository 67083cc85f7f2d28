// Who changed an env last (shared/env-policy.ts): the envs API stamps its changes of an
// autoscaled env as manual, node-abnormal its replacements there as remediation, and envs that do
// not autoscale keep their description untouched. End to end against the emulator.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_REMEDIATION } from "../../functions/node-abnormal/config";
import { makeHandler as nodeAbnormal } from "../../functions/node-abnormal/handler";
import { createAlerter } from "../../shared/alerts";
import { EnvPolicySchema, parseChangeStamp } from "../../shared/env-policy";
import { memoryLogger } from "../../shared/log";
import { envsFunction } from "../envs/harness";
import { eventually, startTestEmulator, type TestEmulator } from "../support/emulator";

let t: TestEmulator;
beforeAll(async () => {
  t = await startTestEmulator();
});
afterAll(async () => {
  await t?.stop();
});

const ON = [{ Key: "batch-scf/autoscale", Value: "on" }];
let seq = 0;
async function createEnv(desired: number, tags: Array<{ Key: string; Value: string }>): Promise<string> {
  const { envId } = await t.port.createEnv({
    Placement: { Zone: "ap-guangzhou-2" },
    ComputeEnv: { EnvName: `stamps-${++seq}`, EnvDescription: "team A renders", DesiredComputeNodeCount: desired, EnvData: { InstanceType: "S1.SMALL1", ImageId: "img-31tjrtph" }, Tags: tags },
  });
  await eventually(async () => {
    const e = await t.port.getEnv(envId);
    return e.ComputeNodeSet.length === desired && e.ComputeNodeSet.every((n) => n.ComputeNodeState === "RUNNING");
  });
  return envId;
}
const description = async (envId: string) => ((await t.port.getEnvCreateInfo(envId)) as { EnvDescription?: string }).EnvDescription;

describe("change stamps", () => {
  it("the envs API stamps a scale of an autoscaled env as manual, and leaves other envs' descriptions alone", async () => {
    const envs = envsFunction(t, { default: { cooldownSeconds: 0 } });
    const auto = await createEnv(1, ON);
    const plain = await createEnv(1, []);
    for (const envId of [auto, plain]) expect((await envs.call("POST", `/envs/${envId}/scale`, { body: { DesiredComputeNodeCount: 2 } })).status).toBe(200);

    const stamp = parseChangeStamp(await description(auto));
    expect(stamp?.by).toBe("manual");
    expect(Math.abs((stamp?.at ?? 0) - Date.now())).toBeLessThan(10_000);
    expect(await description(auto)).toMatch(/^team A renders \[batch-scf\/last-change=manual@/);
    expect(await description(plain)).toBe("team A renders");
  });

  it("node-abnormal stamps a replacement in an autoscaled env as remediation", async () => {
    const envId = await createEnv(2, ON);
    const [bad] = (await t.port.getEnv(envId)).ComputeNodeSet.map((n) => n.ComputeNodeId);
    await fetch(`${t.emu.url}/_emulator/nodes/${bad}/abnormal`, { method: "POST" });
    const logger = memoryLogger({ function: "node-abnormal" });
    const handler = nodeAbnormal({
      batch: t.port,
      policy: EnvPolicySchema.parse({}),
      config: { ...DEFAULT_REMEDIATION, graceSeconds: 0, cooldownSeconds: 0 },
      logger,
      alerter: createAlerter({ webhookUrl: undefined, logger, source: "node-abnormal" }),
      region: "ap-guangzhou",
    });
    await handler({ Type: "Timer", TriggerName: "abnormal-sweep", Time: new Date().toISOString(), Message: "" });
    expect(logger.lines.find((l) => l.msg === "remediation" && l.env === envId)).toMatchObject({ decision: "replaced" });
    expect(parseChangeStamp(await description(envId))?.by).toBe("remediation");
    expect(await description(envId)).toMatch(/^team A renders \[/);
  });
});
