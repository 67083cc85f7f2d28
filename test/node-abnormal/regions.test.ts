// node-abnormal over several regions (BATCH_REGIONS): an event acts in its own Region's Batch, an
// event of a region not served is ignored without a call, and the sweep covers every served
// region. End to end: the function's fromEnv → the real SDK → one emulator serving both regions,
// events as the emulator published them (Region from the env's region).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fromEnv, makeHandler } from "../../functions/node-abnormal/entry";
import { DEFAULT_REMEDIATION } from "../../functions/node-abnormal/config";
import { type InvocationSummary, makeRegionalHandler, type NodeBatch } from "../../functions/node-abnormal/handler";
import { createAlerter } from "../../shared/alerts";
import { createTencentBatch } from "../../shared/batch/tencent-adapter";
import { EnvPolicySchema } from "../../shared/env-policy";
import { AppError } from "../../shared/errors";
import { memoryLogger } from "../../shared/log";
import { eventually, startTestEmulator, TEST_SECRET_ID, TEST_SECRET_KEY, type TestEmulator } from "../support/emulator";

type CmqFixture = { Records: Array<{ CMQ: Record<string, unknown> }> };
const fixture = JSON.parse(readFileSync(join(__dirname, "../fixtures/cmq-batch-node-event.json"), "utf8")) as CmqFixture;
const timer = JSON.parse(readFileSync(join(__dirname, "../fixtures/timer.json"), "utf8")) as unknown;

let t: TestEmulator;
/** The Batch port of each region, over the same emulator. */
const ports: Record<string, ReturnType<typeof createTencentBatch>> = {};
const ZONES = { "ap-guangzhou": "ap-guangzhou-2", "ap-shanghai": "ap-shanghai-1" } as const;
type Region = keyof typeof ZONES;

beforeAll(async () => {
  t = await startTestEmulator();
  for (const region of Object.keys(ZONES))
    ports[region] = createTencentBatch({
      region,
      endpoint: t.emu.url,
      credentials: () => ({ secretId: TEST_SECRET_ID, secretKey: TEST_SECRET_KEY }),
      retry: { baseMs: 5, capMs: 20 },
      rates: {},
    });
});
afterAll(async () => t?.stop());
beforeEach(() => t.emu.counters.clear());

const counters = () => Object.fromEntries(t.emu.counters);

/** A function instance as SCF builds it from its environment. */
function instance(regions: string | undefined) {
  const logger = memoryLogger({ function: "node-abnormal" });
  const env: NodeJS.ProcessEnv = {
    TENCENTCLOUD_REGION: "ap-guangzhou",
    ...(regions ? { BATCH_REGIONS: regions } : {}),
    BATCH_ENDPOINT: t.emu.url,
    BATCH_RATES: '{"DescribeComputeEnv": 1000, "DescribeComputeEnvs": 1000, "ModifyComputeEnv": 1000, "DescribeComputeEnvActivities": 1000}',
    TENCENTCLOUD_SECRETID: TEST_SECRET_ID,
    TENCENTCLOUD_SECRETKEY: TEST_SECRET_KEY,
    REMEDIATION_GRACE_SECONDS: "0",
    REMEDIATION_COOLDOWN_SECONDS: "0",
  };
  const handler = makeHandler(fromEnv(env, logger));
  return { handler: async (event: unknown, context?: unknown) => (await handler(event, context)) as InvocationSummary, logger };
}

let seq = 0;
async function createEnv(region: Region, desired: number): Promise<string> {
  const port = ports[region]!;
  const { envId } = await port.createEnv({
    Placement: { Zone: ZONES[region] },
    ComputeEnv: {
      EnvName: `regions-${++seq}`,
      DesiredComputeNodeCount: desired,
      EnvData: { InstanceType: "BS1.LARGE8", ImageId: "img-31tjrtph" },
      Notifications: [{ TopicName: "batch-events", EventConfigs: [{ EventName: "COMPUTE_NODE_ABNORMAL", EventVars: [] }] }],
    },
  });
  await healthy(region, envId, desired);
  return envId;
}

async function healthy(region: Region, envId: string, desired: number) {
  return eventually(async () => {
    const env = await ports[region]!.getEnv(envId);
    const ok = env.ComputeNodeSet.length === desired && env.ComputeNodeSet.every((n) => n.ComputeNodeState === "RUNNING");
    return ok ? env : undefined;
  });
}

/** Marks the env's first node ABNORMAL; the emulator publishes the event with the env's Region. */
async function breakOne(region: Region, envId: string): Promise<string> {
  const bad = (await ports[region]!.getEnv(envId)).ComputeNodeSet[0]!.ComputeNodeId;
  const res = await fetch(`${t.emu.url}/_emulator/nodes/${bad}/abnormal`, { method: "POST" });
  expect(res.status).toBeLessThan(300);
  return bad;
}

function eventFor(node: string): CmqFixture {
  const body = t.published.find((p) => p.body.includes(node) && p.body.includes("COMPUTE_NODE_ABNORMAL"))?.body;
  expect(body).toBeDefined();
  return { Records: [{ CMQ: { ...fixture.Records[0]!.CMQ, msgId: `msg-${node}`, msgBody: body } }] };
}

describe("node-abnormal across ap-guangzhou and ap-shanghai", () => {
  it("acts in the event's region: a Shanghai node is replaced through Shanghai's Batch", async () => {
    const envId = await createEnv("ap-shanghai", 2);
    const bad = await breakOne("ap-shanghai", envId);
    const event = eventFor(bad);
    expect(JSON.parse((event.Records[0]!.CMQ.msgBody as string) ?? "{}").Events[0].Region).toBe("ap-shanghai");
    t.emu.counters.clear();

    const { handler, logger } = instance("ap-guangzhou,ap-shanghai");
    const summary = await handler(event, { request_id: "req-sh" });

    expect(summary).toMatchObject({ envs: [{ env: envId, region: "ap-shanghai", outcome: "done", decisions: { replaced: [bad] } }] });
    // The env exists only in Shanghai (Guangzhou's Batch would answer ResourceNotFound): one pass, no listing.
    expect(counters()).toMatchObject({ DescribeComputeEnv: 1, TerminateComputeNodes: 1, ModifyComputeEnv: 1 });
    expect(counters().DescribeComputeEnvs).toBeUndefined();
    const env = await healthy("ap-shanghai", envId, 2);
    expect(env.ComputeNodeSet.map((n) => n.ComputeNodeId)).not.toContain(bad);
    expect(logger.lines.filter((l) => l.msg === "remediation")).toEqual([expect.objectContaining({ env: envId, region: "ap-shanghai", decision: "replaced" })]);
  });

  it("ignores, without a Batch call, an event of a region the function does not serve, and says so", async () => {
    const envId = await createEnv("ap-shanghai", 1);
    const bad = await breakOne("ap-shanghai", envId);
    t.emu.counters.clear();

    const { handler, logger } = instance(undefined); // one region: the function's own, ap-guangzhou
    const summary = await handler(eventFor(bad));

    expect(summary).toMatchObject({ events: 1, envs: [], ignored: { "COMPUTE_NODE_ABNORMAL(region ap-shanghai)": 1 } });
    expect(counters()).toEqual({});
    expect(logger.lines).toContainEqual(expect.objectContaining({ level: "warn", msg: "events for a region not served ignored", regions: ["ap-shanghai"], served: ["ap-guangzhou"] }));
    // Left for a function that serves Shanghai.
    expect((await ports["ap-shanghai"]!.getEnv(envId)).ComputeNodeSet.map((n) => n.ComputeNodeState)).toContain("ABNORMAL");
    await instance("ap-guangzhou,ap-shanghai").handler(eventFor(bad));
    await healthy("ap-shanghai", envId, 1);
  });

  it("sweeps every served region: one abnormal node in each is replaced, one DescribeComputeEnvs per region", async () => {
    const gz = await createEnv("ap-guangzhou", 2);
    const sh = await createEnv("ap-shanghai", 2);
    const badGz = await breakOne("ap-guangzhou", gz);
    const badSh = await breakOne("ap-shanghai", sh);
    t.emu.counters.clear();

    const { handler } = instance("ap-guangzhou,ap-shanghai");
    const summary = await handler(timer);

    expect(summary.envs).toEqual(
      expect.arrayContaining([
        { env: gz, region: "ap-guangzhou", outcome: "done", decisions: { replaced: [badGz] } },
        { env: sh, region: "ap-shanghai", outcome: "done", decisions: { replaced: [badSh] } },
      ]),
    );
    expect(summary.envs).toHaveLength(2);
    expect(counters().DescribeComputeEnvs).toBe(2);
    await healthy("ap-guangzhou", gz, 2);
    await healthy("ap-shanghai", sh, 2);
  });

  it("a region whose envs cannot be listed does not hold the sweep of the others back, and fails the run naming it", async () => {
    const gz = await createEnv("ap-guangzhou", 2);
    const badGz = await breakOne("ap-guangzhou", gz);
    const down: NodeBatch = {
      ...ports["ap-shanghai"]!,
      listEnvs: async () => {
        throw new AppError("batch_unavailable", "Shanghai is down", { status: 503 });
      },
    };
    const logger = memoryLogger();
    const handler = makeRegionalHandler({
      regions: { names: ["ap-guangzhou", "ap-shanghai"], port: (r) => (r === "ap-shanghai" ? down : ports[r]!) },
      policy: EnvPolicySchema.parse({}),
      config: { ...DEFAULT_REMEDIATION, graceSeconds: 0, cooldownSeconds: 0 },
      logger,
      alerter: createAlerter({ logger, source: "node-abnormal" }),
      region: "ap-guangzhou",
    });

    await expect(handler(timer)).rejects.toMatchObject({
      code: "remediation_incomplete",
      message: expect.stringContaining("the sweep could not list the envs of ap-shanghai"),
      details: { envs: [], regions: ["ap-shanghai"] },
    });
    expect(logger.lines).toContainEqual(expect.objectContaining({ level: "error", msg: "sweep listing failed", region: "ap-shanghai" }));
    const env = await healthy("ap-guangzhou", gz, 2);
    expect(env.ComputeNodeSet.map((n) => n.ComputeNodeId)).not.toContain(badGz);
  });
});
