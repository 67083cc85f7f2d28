// Contract tests of the emulator's compute environments, through the real SDK client and the
// project's Batch port, plus the /_emulator test routes.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client as BatchClient } from "tencentcloud-sdk-nodejs/tencentcloud/services/batch/v20170312/batch_client";
import type { CreateComputeEnvRequest, DescribeComputeEnvResponse } from "tencentcloud-sdk-nodejs/tencentcloud/services/batch/v20170312/batch_models";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { idleNodes, occupyNode } from "../../local/emulator/occupancy";
import { eventually, startTestEmulator, TEST_SECRET_ID, TEST_SECRET_KEY, type TestEmulator } from "../support/emulator";

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const fixtureEvent = JSON.parse(
  JSON.parse(readFileSync(join(__dirname, "../fixtures/cmq-batch-node-event.json"), "utf8")).Records[0].CMQ.msgBody,
).Events[0] as { Batch: Record<string, unknown> };

let seq = 0;
function envReq(change: (r: CreateComputeEnvRequest) => void = () => {}): CreateComputeEnvRequest {
  const r: CreateComputeEnvRequest = {
    Placement: { Zone: "ap-guangzhou-3" },
    ComputeEnv: {
      EnvName: `env-test-${++seq}`,
      DesiredComputeNodeCount: 1,
      EnvData: { InstanceType: "S5.MEDIUM4", ImageId: "img-31tjrtph" },
      Notifications: [
        {
          TopicName: "batch-events",
          EventConfigs: [
            { EventName: "COMPUTE_ENV_CREATED", EventVars: [] },
            { EventName: "ComputeEnvDeleted", EventVars: [] },
            { EventName: "COMPUTE_NODE_CREATED", EventVars: [{ Name: "team", Value: "render" }] },
            { EventName: "COMPUTE_NODE_CREATION_FAILED", EventVars: [] },
            { EventName: "ComputeNodeRunning", EventVars: [] },
            { EventName: "COMPUTE_NODE_ABNORMAL", EventVars: [] },
            { EventName: "COMPUTE_NODE_DELETING", EventVars: [] },
          ],
        },
      ],
    },
  };
  change(r);
  return r;
}

type Sdk = TestEmulator["sdk"];
const create = async (sdk: Sdk, change?: (r: CreateComputeEnvRequest) => void) => (await sdk.CreateComputeEnv(envReq(change))).EnvId as string;
const describeEnv = (sdk: Sdk, envId: string) => sdk.DescribeComputeEnv({ EnvId: envId });
const states = (r: DescribeComputeEnvResponse) => (r.ComputeNodeSet ?? []).map((n) => n.ComputeNodeState);
const allRunning = (n: number) => (r: DescribeComputeEnvResponse) => states(r).length === n && states(r).every((s) => s === "RUNNING");
const until = (sdk: Sdk, envId: string, ok: (r: DescribeComputeEnvResponse) => boolean) =>
  eventually(async () => {
    const r = await describeEnv(sdk, envId);
    return ok(r) ? r : undefined;
  });
const codeOf = (p: Promise<unknown>) => p.then(() => "no error", (e: { code?: string; message?: string }) => `${e.code}: ${e.message}`);
const events = (t: TestEmulator, envId: string, name?: string) =>
  t.published
    .flatMap((p) => (JSON.parse(p.body) as { Events: Array<{ EventName: string; EventVars: unknown[]; Region: string; EventTime: string; Batch: Record<string, unknown> }> }).Events)
    .filter((e) => e.Batch.EnvId === envId && (!name || e.EventName === name));
const emulatorRoute = async (t: TestEmulator, method: string, path: string, body?: unknown) => {
  const res = await fetch(`${t.emu.url}/_emulator${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};

let t: TestEmulator;
/** Nodes take a minute to be created or deleted: states that are fleeting in `t` stay put. */
let slow: TestEmulator;
beforeAll(async () => {
  [t, slow] = await Promise.all([
    startTestEmulator({ timings: { abnormalRecreateMs: 150 } }),
    startTestEmulator({ timings: { nodeCreateMs: 60_000, nodeDeleteMs: 60_000 } }),
  ]);
});
afterAll(async () => {
  await Promise.all([t?.stop(), slow?.stop()]);
});

describe("compute environment lifecycle", () => {
  it("creates an env whose nodes reach RUNNING, in the SDK's wire shapes", async () => {
    const envId = await create(t.sdk, (r) => {
      r.ComputeEnv.DesiredComputeNodeCount = 2;
      r.ComputeEnv.Tags = [{ Key: "team", Value: "render" }];
    });
    expect(envId).toMatch(/^env-[a-z0-9]{8}$/);
    const r = await until(t.sdk, envId, allRunning(2));
    expect(r).toMatchObject({
      EnvId: envId,
      Placement: { Zone: "ap-guangzhou-3" },
      DesiredComputeNodeCount: 2,
      EnvType: "MANAGED",
      ResourceType: "CVM",
      NextAction: null,
      Tags: [{ Key: "team", Value: "render" }],
      ComputeNodeMetrics: { RunningCount: 2, SubmittedCount: 0, CreatingCount: 0, CreatedCount: 0, CreationFailedCount: 0, DeletingCount: 0, AbnormalCount: 0 },
    });
    expect(r.CreateTime).toMatch(ISO);
    for (const n of r.ComputeNodeSet ?? []) {
      expect(n).toMatchObject({ Cpu: 2, Mem: 4, TaskInstanceNumAvailable: 1, ResourceType: "CVM", ResourceOrigin: "BATCH_CREATED" });
      expect(n.ComputeNodeId).toMatch(/^node-[a-z0-9]{8}$/);
      expect(n.ComputeNodeInstanceId).toMatch(/^ins-[a-z0-9]{8}$/);
      expect(n.ResourceCreatedTime).toMatch(ISO);
      expect(n.PrivateIpAddresses?.[0]).toMatch(/^10\.\d+\.\d+\.\d+$/);
    }
    // The project's port parses the same reply.
    const viaPort = await t.port.getEnv(envId);
    expect(viaPort.ComputeNodeSet).toHaveLength(2);

    const acts = await t.port.listEnvActivities(envId);
    expect(acts.total).toBe(2);
    for (const a of acts.items) {
      expect(a).toMatchObject({ ComputeNodeActivityType: "CREATE", ActivityState: "SUCCEED", EnvId: envId });
      expect(a.StartTime).toMatch(ISO);
      expect(a.EndTime).toMatch(ISO);
    }
  });

  it("publishes env and node events in the documented message format, names upper case, EventVars echoed", async () => {
    const envId = await create(t.sdk);
    const r = await until(t.sdk, envId, allRunning(1));
    const node = r.ComputeNodeSet![0]!;
    await eventually(() => events(t, envId, "COMPUTE_NODE_RUNNING").length === 1);
    expect(events(t, envId).map((e) => e.EventName)).toEqual(["COMPUTE_ENV_CREATED", "COMPUTE_NODE_CREATED", "COMPUTE_NODE_RUNNING"]);
    const created = events(t, envId, "COMPUTE_NODE_CREATED")[0]!;
    expect(Object.keys(created.Batch).sort()).toEqual(Object.keys(fixtureEvent.Batch).sort());
    expect(created).toMatchObject({
      Region: "ap-guangzhou",
      EventVars: [{ Name: "team", Value: "render" }],
      Batch: { ComputeNodeId: node.ComputeNodeId, ComputeNodeInstanceId: node.ComputeNodeInstanceId, ComputeNodeState: "CREATED", Cpu: 2, Mem: 4, EnvName: r.EnvName },
    });
    expect(created.EventTime).toMatch(ISO);
    expect(t.published.every((p) => p.topic === "batch-events")).toBe(true);
  });

  it("scales up and down with ModifyComputeEnv, recording CREATE and DESTROY activities", async () => {
    const envId = await create(t.sdk);
    await until(t.sdk, envId, allRunning(1));
    await t.port.setDesiredNodes(envId, 3);
    await until(t.sdk, envId, allRunning(3));
    await t.port.setDesiredNodes(envId, 1);
    const after = await describeEnv(t.sdk, envId);
    expect(after.DesiredComputeNodeCount).toBe(1);
    expect(after.ComputeNodeMetrics).toMatchObject({ RunningCount: 1, DeletingCount: 2 });
    await until(t.sdk, envId, allRunning(1));
    await eventually(async () => (await t.sdk.DescribeComputeEnvActivities({ EnvId: envId, Limit: 100 })).ActivitySet?.every((a) => a.EndTime));
    const acts = (await t.sdk.DescribeComputeEnvActivities({ EnvId: envId, Limit: 100 })).ActivitySet ?? [];
    expect(acts.filter((a) => a.ComputeNodeActivityType === "CREATE")).toHaveLength(3);
    const destroyed = acts.filter((a) => a.ComputeNodeActivityType === "DESTROY");
    expect(destroyed).toHaveLength(2);
    expect(destroyed.every((a) => a.ActivityState === "SUCCEED" && a.Cause?.includes("DesiredComputeNodeCount"))).toBe(true);
    expect(events(t, envId, "COMPUTE_NODE_DELETING")).toHaveLength(2);
    // One Filter object, name compute-node-id, narrows to one node's history.
    const nodeId = destroyed[0]!.ComputeNodeId!;
    const one = await t.sdk.DescribeComputeEnvActivities({ EnvId: envId, Filters: { Name: "compute-node-id", Values: [nodeId] } });
    expect(one.TotalCount).toBe(2);
    expect(one.ActivitySet?.map((a) => a.ComputeNodeActivityType)).toEqual(["CREATE", "DESTROY"]);
    const paged = await t.sdk.DescribeComputeEnvActivities({ EnvId: envId, Offset: 4, Limit: 2 });
    expect(paged).toMatchObject({ TotalCount: 5 });
    expect(paged.ActivitySet).toHaveLength(1);
  });

  it("marks a node busy for the jobs module and scales down its idle neighbour first", async () => {
    const envId = await create(t.sdk, (r) => {
      r.ComputeEnv.DesiredComputeNodeCount = 2;
    });
    await until(t.sdk, envId, allRunning(2));
    const env = t.emu.store.envs.get(envId)!;
    const busy = idleNodes(env)[0]!;
    occupyNode(t.emu.ctx, env, busy, "job-aaaaaaaa/t1/0");
    const r = await describeEnv(t.sdk, envId);
    expect(r.ComputeNodeSet?.find((n) => n.ComputeNodeId === busy.id)?.TaskInstanceNumAvailable).toBe(0);
    await t.port.setDesiredNodes(envId, 1);
    const left = await until(t.sdk, envId, allRunning(1));
    expect(left.ComputeNodeSet?.[0]?.ComputeNodeId).toBe(busy.id);
  });

  it("terminates chosen nodes, lowering DesiredComputeNodeCount so they are not replaced", async () => {
    const envId = await create(t.sdk, (r) => {
      r.ComputeEnv.DesiredComputeNodeCount = 3;
    });
    const r = await until(t.sdk, envId, allRunning(3));
    const [a, b] = (r.ComputeNodeSet ?? []).map((n) => n.ComputeNodeId as string);
    await t.port.terminateNodes(envId, [a!, b!]);
    const after = await until(t.sdk, envId, allRunning(1));
    expect(after.DesiredComputeNodeCount).toBe(1);
    expect(after.ComputeNodeSet?.map((n) => n.ComputeNodeId)).not.toContain(a);
    await t.sdk.TerminateComputeNode({ EnvId: envId, ComputeNodeId: after.ComputeNodeSet![0]!.ComputeNodeId! });
    const empty = await until(t.sdk, envId, (x) => (x.ComputeNodeSet ?? []).length === 0);
    expect(empty.DesiredComputeNodeCount).toBe(0);
    expect((await t.port.listEnvActivities(envId)).items.filter((x) => x.ComputeNodeActivityType === "DESTROY" && x.Cause === "TerminateComputeNode")).toHaveLength(3);
  });

  it("lists failed creations as CREATION_FAILED and replaces them; terminating one keeps the desired count", async () => {
    const envId = await create(t.sdk, (r) => {
      r.ComputeEnv.DesiredComputeNodeCount = 0;
    });
    expect((await emulatorRoute(t, "POST", `/envs/${envId}/fail-creations`, { count: 1 })).status).toBe(200);
    await t.port.setDesiredNodes(envId, 1);
    const r = await until(t.sdk, envId, (x) => states(x).sort().join() === "CREATION_FAILED,RUNNING");
    expect(r.ComputeNodeMetrics).toMatchObject({ CreationFailedCount: 1, RunningCount: 1 });
    const failed = r.ComputeNodeSet!.find((n) => n.ComputeNodeState === "CREATION_FAILED")!;
    const acts = (await t.port.listEnvActivities(envId, { nodeId: failed.ComputeNodeId! })).items;
    expect(acts[0]).toMatchObject({ ComputeNodeActivityType: "CREATE", ActivityState: "FAILED" });
    expect(acts[0]?.EndTime).toMatch(ISO);
    expect(events(t, envId, "COMPUTE_NODE_CREATION_FAILED")[0]?.Batch.ComputeNodeId).toBe(failed.ComputeNodeId);
    await t.sdk.TerminateComputeNodes({ EnvId: envId, ComputeNodeIds: [failed.ComputeNodeId!] });
    const after = await until(t.sdk, envId, allRunning(1));
    expect(after.DesiredComputeNodeCount).toBe(1);
  });

  it("stops retrying creations after ResourceMaxRetryCount failures per desired node", async () => {
    const envId = await create(t.sdk, (r) => {
      r.ComputeEnv.DesiredComputeNodeCount = 0;
      r.ComputeEnv.ResourceMaxRetryCount = 2;
    });
    await emulatorRoute(t, "POST", `/envs/${envId}/fail-creations`, { count: -1 });
    await t.port.setDesiredNodes(envId, 1);
    await until(t.sdk, envId, (x) => states(x).length === 3 && states(x).every((s) => s === "CREATION_FAILED"));
    await new Promise((res) => setTimeout(res, 300));
    expect(states(await describeEnv(t.sdk, envId))).toHaveLength(3);
  });

  it("deletes an env: nodes destroyed, env gone, COMPUTE_ENV_DELETED published", async () => {
    const envId = await create(t.sdk);
    await until(t.sdk, envId, allRunning(1));
    await t.port.deleteEnv(envId);
    await eventually(async () => (await codeOf(describeEnv(t.sdk, envId))).startsWith("ResourceNotFound.ComputeEnv"));
    expect(events(t, envId).map((e) => e.EventName).slice(-2)).toEqual(["COMPUTE_NODE_DELETING", "COMPUTE_ENV_DELETED"]);
    expect((await t.port.listEnvs({ envIds: [envId] })).total).toBe(0);
  });
});

describe("Batch's own RECREATE of inactive nodes", () => {
  it("replaces a node ABNORMAL longer than abnormalRecreateMs and records why", async () => {
    const envId = await create(t.sdk);
    const r = await until(t.sdk, envId, allRunning(1));
    const old = r.ComputeNodeSet![0]!.ComputeNodeId!;
    const res = await emulatorRoute(t, "POST", `/nodes/${old}/abnormal`);
    expect(res.json).toMatchObject({ ComputeNodeState: "ABNORMAL" });
    expect(events(t, envId, "COMPUTE_NODE_ABNORMAL")[0]?.Batch).toMatchObject({ ComputeNodeId: old, ComputeNodeState: "ABNORMAL" });
    const after = await until(t.sdk, envId, (x) => allRunning(1)(x) && x.ComputeNodeSet![0]!.ComputeNodeId !== old);
    const fresh = after.ComputeNodeSet![0]!.ComputeNodeId!;
    const destroy = (await t.port.listEnvActivities(envId, { nodeId: old })).items.find((a) => a.ComputeNodeActivityType === "DESTROY");
    expect(destroy?.Cause).toContain("RECREATE");
    const raw = (await emulatorRoute(t, "GET", `/envs/${envId}`)).json as { nodes: Array<{ id: string; recreatedFrom?: string; recreateCount: number }> };
    expect(raw.nodes.find((n) => n.id === fresh)).toMatchObject({ recreatedFrom: old, recreateCount: 1 });
    expect(after.DesiredComputeNodeCount).toBe(1);
  });

  it("stops recreating after ResourceMaxRetryCount", async () => {
    const envId = await create(t.sdk, (r) => {
      r.ComputeEnv.ResourceMaxRetryCount = 1;
    });
    const first = (await until(t.sdk, envId, allRunning(1))).ComputeNodeSet![0]!.ComputeNodeId!;
    await emulatorRoute(t, "POST", `/nodes/${first}/abnormal`);
    const second = (await until(t.sdk, envId, (x) => allRunning(1)(x) && x.ComputeNodeSet![0]!.ComputeNodeId !== first)).ComputeNodeSet![0]!.ComputeNodeId!;
    await emulatorRoute(t, "POST", `/nodes/${second}/abnormal`);
    await new Promise((res) => setTimeout(res, 500));
    const r = await describeEnv(t.sdk, envId);
    expect(r.ComputeNodeSet?.map((n) => [n.ComputeNodeId, n.ComputeNodeState])).toEqual([[second, "ABNORMAL"]]);
  });

  it("brings an abnormal node back with the healthy route", async () => {
    // No recreate budget: the abnormal node stays until it is made healthy.
    const env2 = await create(t.sdk, (r) => {
      r.ComputeEnv.ResourceMaxRetryCount = 0;
    });
    const node = (await until(t.sdk, env2, allRunning(1))).ComputeNodeSet![0]!.ComputeNodeId!;
    await emulatorRoute(t, "POST", `/nodes/${node}/abnormal`);
    expect((await describeEnv(t.sdk, env2)).ComputeNodeMetrics?.AbnormalCount).toBe(1);
    const back = await emulatorRoute(t, "POST", `/nodes/${node}/healthy`);
    expect(back.json).toMatchObject({ ComputeNodeState: "RUNNING" });
    expect((await emulatorRoute(t, "GET", `/envs/${env2}`)).json.nodes).toMatchObject([{ id: node, state: "RUNNING" }]);
    expect((await emulatorRoute(t, "POST", "/nodes/node-zzzzzzzz/healthy")).status).toBe(404);
  });
});

describe("operations refused while nodes are busy being created or deleted", () => {
  it("refuses a scale-down when too few nodes are CREATED, RUNNING or ABNORMAL", async () => {
    const envId = await create(slow.sdk, (r) => {
      r.ComputeEnv.DesiredComputeNodeCount = 2;
    });
    expect(await codeOf(slow.port.setDesiredNodes(envId, 0))).toMatch(/^batch\.UnsupportedOperation\.NotEnoughComputeNodesToTerminate: /);
    expect((await describeEnv(slow.sdk, envId)).DesiredComputeNodeCount).toBe(2);
    const node = (await describeEnv(slow.sdk, envId)).ComputeNodeSet![0]!.ComputeNodeId!;
    expect(await codeOf(slow.sdk.TerminateComputeNode({ EnvId: envId, ComputeNodeId: node }))).toMatch(/^UnsupportedOperation\.ComputeNodeForbidTerminate: /);
    // Scaling up needs nothing destroyed.
    await slow.sdk.ModifyComputeEnv({ EnvId: envId, DesiredComputeNodeCount: 3 });
    expect((await describeEnv(slow.sdk, envId)).ComputeNodeSet).toHaveLength(3);
  });

  it("shows NextAction DELETING while an env drains and refuses a second delete or a modify", async () => {
    const envId = await create(slow.sdk);
    await slow.sdk.DeleteComputeEnv({ EnvId: envId });
    const r = await describeEnv(slow.sdk, envId);
    expect(r.NextAction).toBe("DELETING");
    expect(states(r)).toEqual(["DELETING"]);
    expect(await codeOf(slow.sdk.DeleteComputeEnv({ EnvId: envId }))).toMatch(/^UnsupportedOperation\.ComputeEnvOperation: /);
    expect(await codeOf(slow.sdk.ModifyComputeEnv({ EnvId: envId, DesiredComputeNodeCount: 2 }))).toMatch(/^UnsupportedOperation\.ComputeEnvAcceptOtherRequest: /);
    expect(await codeOf(slow.sdk.TerminateComputeNodes({ EnvId: envId, ComputeNodeIds: [r.ComputeNodeSet![0]!.ComputeNodeId!] }))).toMatch(
      /^UnsupportedOperation\.ComputeNodeIsTerminating: /,
    );
  });
});

describe("validation, with Tencent's error codes and the field named", () => {
  const cases: Array<[string, (r: CreateComputeEnvRequest) => unknown, RegExp]> = [
    ["EnvName over 60", (r) => Object.assign(r.ComputeEnv, { EnvName: "n".repeat(61) }), /^InvalidParameter\.EnvNameTooLong: ComputeEnv\.EnvName/],
    ["EnvDescription over 200", (r) => Object.assign(r.ComputeEnv, { EnvDescription: "d".repeat(201) }), /^InvalidParameter\.EnvDescriptionTooLong: ComputeEnv\.EnvDescription/],
    ["desired over 2000", (r) => Object.assign(r.ComputeEnv, { DesiredComputeNodeCount: 2001 }), /^InvalidParameterValue\.LimitExceeded: ComputeEnv\.DesiredComputeNodeCount/],
    ["desired negative", (r) => Object.assign(r.ComputeEnv, { DesiredComputeNodeCount: -1 }), /^InvalidParameterValue\.Negative: ComputeEnv\.DesiredComputeNodeCount/],
    ["desired fractional", (r) => Object.assign(r.ComputeEnv, { DesiredComputeNodeCount: 1.5 }), /^InvalidParameter: ComputeEnv\.DesiredComputeNodeCount: must be an integer/],
    ["unknown instance type", (r) => Object.assign(r.ComputeEnv.EnvData!, { InstanceType: "X9.HUGE" }), /^InvalidParameterValue\.InstanceType: ComputeEnv\.EnvData\.InstanceType/],
    ["BS1 outside BS1 zones", (r) => Object.assign(r.ComputeEnv.EnvData!, { InstanceType: "BS1.LARGE8" }), /^InvalidParameterValue\.UnavailableZone: ComputeEnv\.EnvData\.InstanceType/],
    ["malformed image", (r) => Object.assign(r.ComputeEnv.EnvData!, { ImageId: "centos-7" }), /^InvalidParameter\.ImageIdMalformed: ComputeEnv\.EnvData\.ImageId/],
    ["zone of another region", (r) => Object.assign(r.Placement, { Zone: "ap-shanghai-1" }), /^InvalidZone\.MismatchRegion: Placement\.Zone/],
    [
      "COS JSON-API domain",
      (r) => Object.assign(r.ComputeEnv, { InputMappings: [{ SourcePath: "cos://data-1250000000.cosgz.myqcloud.com/in/", DestinationPath: "/data/" }] }),
      /^InvalidParameterValue\.RemoteStoragePath: ComputeEnv\.InputMappings\.0\.SourcePath/,
    ],
    [
      "relative local path",
      (r) => Object.assign(r.ComputeEnv, { InputMappings: [{ SourcePath: "cfs://10.66.140.208/", DestinationPath: "data/" }] }),
      /^InvalidParameterValue\.LocalPath: ComputeEnv\.InputMappings\.0\.DestinationPath/,
    ],
    ["topic name", (r) => Object.assign(r.ComputeEnv.Notifications![0]!, { TopicName: "9-lives" }), /^InvalidParameter\.NotificationTopicName: ComputeEnv\.Notifications\.0\.TopicName/],
    [
      "event named twice in two spellings",
      (r) => void r.ComputeEnv.Notifications![0]!.EventConfigs.push({ EventName: "compute_node_running", EventVars: [] }),
      /^InvalidParameter\.NotificationEventNameDuplicate: ComputeEnv\.Notifications\.0\.EventConfigs\.7\.EventName/,
    ],
    [
      "job event on an env",
      (r) => void r.ComputeEnv.Notifications![0]!.EventConfigs.push({ EventName: "JOB_FAILED", EventVars: [] }),
      /^InvalidParameterValue: ComputeEnv\.Notifications\.0\.EventConfigs\.7\.EventName/,
    ],
    [
      "eleven tags",
      (r) => Object.assign(r.ComputeEnv, { Tags: Array.from({ length: 11 }, (_, i) => ({ Key: `k${i}`, Value: "v" })) }),
      /^InvalidParameterValue\.LimitExceeded: ComputeEnv\.Tags/,
    ],
  ];
  it.each(cases)("CreateComputeEnv refuses %s", async (_name, change, expected) => {
    expect(await codeOf(t.sdk.CreateComputeEnv(envReq(change)))).toMatch(expected);
  });

  it("refuses malformed ids, unknown envs and nodes, envs of another region", async () => {
    const envId = await create(t.sdk);
    expect(await codeOf(t.sdk.DescribeComputeEnv({ EnvId: "env-1" }))).toMatch(/^InvalidParameter\.EnvIdMalformed: EnvId/);
    expect(await codeOf(t.sdk.DescribeComputeEnv({ EnvId: "env-zzzzzzzz" }))).toMatch(/^ResourceNotFound\.ComputeEnv: /);
    expect(await codeOf(t.sdk.TerminateComputeNodes({ EnvId: envId, ComputeNodeIds: ["node-zzzzzzzz"] }))).toMatch(/^ResourceNotFound\.ComputeNode: ComputeNodeIds\.0/);
    expect(await codeOf(t.sdk.TerminateComputeNode({ EnvId: envId, ComputeNodeId: "i-1" }))).toMatch(/^InvalidParameter\.ComputeNodeIdMalformed: ComputeNodeId/);
    const ids = Array.from({ length: 101 }, (_, i) => `node-${String(i).padStart(8, "0")}`);
    expect(await codeOf(t.sdk.TerminateComputeNodes({ EnvId: envId, ComputeNodeIds: ids }))).toMatch(/^InvalidParameterValue\.LimitExceeded: ComputeNodeIds/);
    expect(await codeOf(t.sdk.ModifyComputeEnv({ EnvId: envId }))).toMatch(/^InvalidParameterAtLeastOneAttribute: /);
    expect(await codeOf(t.sdk.ModifyComputeEnv({ EnvId: envId, EnvName: "x".repeat(61) }))).toMatch(/^InvalidParameter\.EnvNameTooLong: EnvName/);
    expect(await codeOf(t.sdk.ModifyComputeEnv({ EnvId: envId, DesiredComputeNodeCount: 2001 }))).toMatch(/^InvalidParameterValue\.LimitExceeded: DesiredComputeNodeCount/);
    const shanghai = new BatchClient({
      credential: { secretId: TEST_SECRET_ID, secretKey: TEST_SECRET_KEY },
      region: "ap-shanghai",
      profile: { httpProfile: { endpoint: `127.0.0.1:${t.emu.port}`, protocol: "http://" } },
    });
    expect(await codeOf(shanghai.DescribeComputeEnv({ EnvId: envId }))).toMatch(/^ResourceNotFound\.ComputeEnv: /);
    expect((await shanghai.DescribeComputeEnvs({})).TotalCount).toBe(0);
  });

  it("refuses bad paging and filter combinations", async () => {
    expect(await codeOf(t.sdk.DescribeComputeEnvs({ EnvIds: ["env-zzzzzzzz"], Filters: [{ Name: "zone", Values: ["ap-guangzhou-3"] }] }))).toMatch(
      /^InvalidParameter\.InvalidParameterCombination: /,
    );
    expect(await codeOf(t.sdk.DescribeComputeEnvs({ Limit: 101 }))).toMatch(/^InvalidParameterValue\.LimitExceeded: Limit/);
    expect(await codeOf(t.sdk.DescribeComputeEnvs({ Filters: [{ Name: "colour", Values: ["red"] }] }))).toMatch(/^InvalidFilter: Filters\.0\.Name/);
    const envId = await create(t.sdk);
    const asArray = { EnvId: envId, Filters: [{ Name: "compute-node-id", Values: ["node-zzzzzzzz"] }] } as unknown as { EnvId: string };
    expect(await codeOf(t.sdk.DescribeComputeEnvActivities(asArray))).toMatch(/^InvalidParameter: Filters: must be one Filter object/);
    expect(await codeOf(t.sdk.DescribeComputeEnvActivities({ EnvId: envId, Filters: { Name: "env-id", Values: [envId] } }))).toMatch(/^InvalidFilter: Filters\.Name/);
  });
});

describe("listing and create info", () => {
  it("filters DescribeComputeEnvs by name, zone and tags, and pages with TotalCount", async () => {
    const marker = `m${Date.now()}`;
    const a = await create(t.sdk, (r) => {
      r.ComputeEnv.DesiredComputeNodeCount = 0;
      r.ComputeEnv.Tags = [{ Key: marker, Value: "a" }];
    });
    const b = await create(t.sdk, (r) => {
      r.ComputeEnv.DesiredComputeNodeCount = 0;
      r.ComputeEnv.Tags = [{ Key: marker, Value: "b" }];
      r.Placement.Zone = "ap-guangzhou-4";
    });
    const byTag = await t.sdk.DescribeComputeEnvs({ Filters: [{ Name: `tag:${marker}`, Values: ["b"] }] });
    expect(byTag.ComputeEnvSet?.map((e) => e.EnvId)).toEqual([b]);
    const byKey = await t.port.listEnvs({ filters: [{ Name: "tag-key", Values: [marker] }] });
    expect(byKey.items.map((e) => e.EnvId).sort()).toEqual([a, b].sort());
    const anded = await t.sdk.DescribeComputeEnvs({
      Filters: [
        { Name: "tag-key", Values: [marker] },
        { Name: "zone", Values: ["ap-guangzhou-3"] },
      ],
    });
    expect(anded.ComputeEnvSet?.map((e) => e.EnvId)).toEqual([a]);
    const aName = (await describeEnv(t.sdk, a)).EnvName!;
    expect((await t.sdk.DescribeComputeEnvs({ Filters: [{ Name: "env-name", Values: [aName, "nope"] }] })).TotalCount).toBe(1);
    const all = await t.sdk.DescribeComputeEnvs({ Limit: 100 });
    const second = await t.sdk.DescribeComputeEnvs({ Offset: 1, Limit: 1 });
    expect(second.TotalCount).toBe(all.TotalCount);
    expect(second.ComputeEnvSet?.map((e) => e.EnvId)).toEqual([all.ComputeEnvSet![1]!.EnvId]);
    expect((await t.sdk.DescribeComputeEnvs({})).ComputeEnvSet!.length).toBeLessThanOrEqual(20);
    expect((await t.sdk.DescribeComputeEnvs({ EnvIds: [b] })).ComputeEnvSet?.[0]?.Placement?.Zone).toBe("ap-guangzhou-4");
  });

  it("answers DescribeComputeEnvCreateInfo(s) from the request, events upper case, secrets masked", async () => {
    const envId = await create(t.sdk, (r) => {
      r.ComputeEnv.DesiredComputeNodeCount = 0;
      r.ComputeEnv.EnvDescription = "renders";
      r.ComputeEnv.Authentications = [{ Scene: "COS", SecretId: "AKIDexample", SecretKey: "super-secret-value" }];
      r.ComputeEnv.InputMappings = [{ SourcePath: "cos://data-1250000000.cos.ap-guangzhou.myqcloud.com/in/", DestinationPath: "/data/" }];
    });
    await t.sdk.ModifyComputeEnv({ EnvId: envId, EnvName: "renamed", EnvDescription: "still renders" });
    const info = await t.sdk.DescribeComputeEnvCreateInfo({ EnvId: envId });
    expect(info).toMatchObject({
      EnvId: envId,
      EnvName: "renamed",
      EnvDescription: "still renders",
      EnvType: "MANAGED",
      EnvData: { InstanceType: "S5.MEDIUM4", ImageId: "img-31tjrtph" },
      InputMappings: [{ SourcePath: "cos://data-1250000000.cos.ap-guangzhou.myqcloud.com/in/", DestinationPath: "/data/" }],
      Authentications: [{ Scene: "COS", SecretId: "AKIDexample", SecretKey: "******" }],
      DesiredComputeNodeCount: 0,
    });
    const names = info.Notifications?.[0]?.EventConfigs.map((c) => c.EventName);
    expect(names).toContain("COMPUTE_ENV_DELETED");
    expect(names).toContain("COMPUTE_NODE_RUNNING");
    expect(JSON.stringify(await emulatorRoute(t, "GET", "/state"))).not.toContain("super-secret-value");
    const infos = await t.sdk.DescribeComputeEnvCreateInfos({ EnvIds: [envId] });
    expect(infos).toMatchObject({ TotalCount: 1, ComputeEnvCreateInfoSet: [{ EnvId: envId, EnvName: "renamed" }] });
    expect((await t.sdk.DescribeComputeEnvCreateInfos({ Filters: [{ Name: "env-name", Values: ["renamed"] }] })).TotalCount).toBeGreaterThanOrEqual(1);
  });
});

describe("ClientToken and durability", () => {
  it("returns the same EnvId for a repeated token and refuses the token with another request", async () => {
    const req = envReq((r) => {
      r.ClientToken = `tok-${seq}`;
      r.ComputeEnv.DesiredComputeNodeCount = 0;
    });
    const first = await t.sdk.CreateComputeEnv(req);
    const again = await t.port.createEnv(req);
    expect(again.envId).toBe(first.EnvId);
    const named = await t.sdk.DescribeComputeEnvs({ Filters: [{ Name: "env-name", Values: [req.ComputeEnv.EnvName] }] });
    expect(named.TotalCount).toBe(1);
    const other = { ...req, ComputeEnv: { ...req.ComputeEnv, DesiredComputeNodeCount: 5 } };
    expect(await codeOf(t.sdk.CreateComputeEnv(other))).toMatch(/^InvalidParameter: ClientToken/);
  });

  it("keeps envs, nodes, activities and tokens across a restart on the same dataDir", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "batch-emu-envs-"));
    try {
      const one = await startTestEmulator({ dataDir });
      const req = envReq((r) => {
        r.ClientToken = "restart-token";
        r.ComputeEnv.DesiredComputeNodeCount = 2;
      });
      const envId = (await one.sdk.CreateComputeEnv(req)).EnvId!;
      const before = await until(one.sdk, envId, allRunning(2));
      await one.stop();

      const two = await startTestEmulator({ dataDir });
      try {
        const after = await describeEnv(two.sdk, envId);
        expect(after.ComputeNodeSet?.map((n) => [n.ComputeNodeId, n.ComputeNodeState])).toEqual(before.ComputeNodeSet?.map((n) => [n.ComputeNodeId, "RUNNING"]));
        expect((await two.port.listEnvActivities(envId)).total).toBe(2);
        expect((await two.sdk.CreateComputeEnv(req)).EnvId).toBe(envId);
        await two.port.setDesiredNodes(envId, 3);
        await until(two.sdk, envId, allRunning(3));
      } finally {
        await two.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
