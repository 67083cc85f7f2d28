// End to end: the envs function (real HTTP layer, real port, real SDK) against the emulator.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BatchPort } from "../../shared/batch/port";
import { clientTokenFor } from "../../shared/idempotency";
import { ageEnv, eventually, startTestEmulator, type TestEmulator } from "../support/emulator";
import { ADMIN, createBody, envsFunction, READER } from "./harness";

const POLICY = {
  default: { cooldownSeconds: 0, maxNodes: 10 },
  envs: [
    { envName: "cool-*", cooldownSeconds: 60 },
    { envName: "frozen-*", allowScaling: false },
    { envName: "small-*", minNodes: 1, maxNodes: 3, maxCores: 8 },
    { envName: "admin-*", scaleScopes: ["envs:admin"] },
  ],
};

let t: TestEmulator;
let fn: ReturnType<typeof envsFunction>;
beforeAll(async () => {
  t = await startTestEmulator();
  fn = envsFunction(t, POLICY);
});
afterAll(() => t.stop());

type Json = Record<string, unknown>;
const nodesOf = async (envId: string) => (await t.port.getEnv(envId)).ComputeNodeSet;
const liveNodes = async (envId: string) => (await nodesOf(envId)).filter((n) => n.ComputeNodeState !== "DELETING");
const counters = async () => (await (await fetch(`${t.emu.url}/_emulator/counters`)).json()) as Record<string, number>;

async function createRunning(name: string, desired: number): Promise<string> {
  const r = await fn.call("POST", "/envs", { body: createBody(name, desired) });
  expect(r.status, JSON.stringify(r.json)).toBe(201);
  const envId = r.json.EnvId as string;
  if (desired > 0)
    await eventually(async () => (await nodesOf(envId)).filter((n) => n.ComputeNodeState === "RUNNING").length === desired);
  return envId;
}

describe("POST /envs", () => {
  it("creates an env in the emulator, answers 201 with its id, and the Idempotency-Key makes a retry return the same env", async () => {
    const body = createBody("idem-env", 1);
    const a = await fn.call("POST", "/envs", { body, headers: { "idempotency-key": "create-idem-env-1" } });
    expect(a.status).toBe(201);
    expect(a.headers.location).toBe(`/envs/${a.json.EnvId}`);
    // The key reaches Batch scoped to the caller, as for jobs (it used to be sent raw).
    expect(a.json).toMatchObject({ ClientToken: clientTokenFor("writer", "create-idem-env-1"), Creator: "writer", DesiredComputeNodeCount: 1, Replayed: false });
    const b = await fn.call("POST", "/envs", { body, headers: { "idempotency-key": "create-idem-env-1" } });
    expect(b.status).toBe(201);
    expect(b.json).toMatchObject({ EnvId: a.json.EnvId, Replayed: true });
    expect(b.headers["idempotent-replayed"]).toBe("true");
    expect(a.headers["idempotent-replayed"]).toBeUndefined();
    const page = await t.port.listEnvs({ filters: [{ Name: "env-name", Values: ["idem-env"] }] });
    expect(page.total).toBe(1);
    const other = await fn.call("POST", "/envs", { body: createBody("idem-env", 2), headers: { "idempotency-key": "create-idem-env-1" } });
    expect(other.status).toBe(409);
    expect(other.json).toMatchObject({ code: "idempotency_key_reused", envId: a.json.EnvId });
    expect((await t.port.listEnvs({ filters: [{ Name: "env-name", Values: ["idem-env"] }] })).total).toBe(1);
  });

  it("sends notification event names upper case whichever spelling came in", async () => {
    const r = await fn.call("POST", "/envs", {
      body: createBody("notify-env", 0, {
        Notifications: [{ TopicName: "batch-node-events", EventConfigs: [{ EventName: "ComputeNodeAbnormal", EventVars: [] }] }],
      }),
    });
    expect(r.status).toBe(201);
    const info = (await t.port.getEnvCreateInfo(r.json.EnvId as string)) as unknown as { Notifications: Array<{ EventConfigs: Array<{ EventName: string }> }> };
    expect(info.Notifications[0]?.EventConfigs[0]?.EventName).toBe("COMPUTE_NODE_ABNORMAL");
  });

  it("warns about an image that is not a known cloud-init image but creates the env", async () => {
    const body = createBody("warn-env", 0);
    body.ComputeEnv.EnvData = { InstanceType: "BS1.LARGE8", ImageId: "img-abcdefgh" };
    const r = await fn.call("POST", "/envs", { body });
    expect(r.status).toBe(201);
    expect(r.json.Warnings).toEqual([{ path: "ComputeEnv.EnvData.ImageId", message: expect.stringMatching(/img-abcdefgh is not a known cloud-init image/) }]);
  });

  it("refuses BS1 outside its two zones with 400 naming the field, and Batch is never called", async () => {
    const before = (await counters()).CreateComputeEnv ?? 0;
    const body = createBody("bs1-env", 1);
    body.Placement.Zone = "ap-guangzhou-3";
    const r = await fn.call("POST", "/envs", { body });
    expect(r.status).toBe(400);
    expect((r.json.errors as Json[]).map((e) => e.path)).toContain("ComputeEnv.EnvData.InstanceType");
    expect(r.json.detail).toMatch(/ap-guangzhou-2 and ap-shanghai-1/);
    expect((await counters()).CreateComputeEnv ?? 0).toBe(before);
  });

  it("refuses bad storage paths, relative local paths and unknown event names with each field path", async () => {
    const r = await fn.call("POST", "/envs", {
      body: createBody("paths-env", 1, {
        InputMappings: [
          { SourcePath: "cos://bucket-1250000000.cosgz.myqcloud.com/data/", DestinationPath: "/data/" },
          { SourcePath: "cfs://10.0.0.8/share/", DestinationPath: "data/" },
        ],
        Notifications: [{ TopicName: "t1", EventConfigs: [{ EventName: "JobFailed", EventVars: [] }] }],
      }),
    });
    expect(r.status).toBe(400);
    const paths = (r.json.errors as Json[]).map((e) => e.path);
    expect(paths).toContain("ComputeEnv.InputMappings[1].DestinationPath");
    // The schema error stops the semantic pass: fix the first, then the rest are named.
    const r2 = await fn.call("POST", "/envs", {
      body: createBody("paths-env", 1, {
        InputMappings: [{ SourcePath: "cos://bucket-1250000000.cosgz.myqcloud.com/data/", DestinationPath: "/data/" }],
        Notifications: [{ TopicName: "t1", EventConfigs: [{ EventName: "JobFailed", EventVars: [] }] }],
      }),
    });
    expect(r2.status).toBe(400);
    const paths2 = (r2.json.errors as Json[]).map((e) => e.path);
    expect(paths2).toEqual(["ComputeEnv.InputMappings[0].SourcePath", "ComputeEnv.Notifications[0].EventConfigs[0].EventName"]);
  });

  it("refuses a desired count above the policy's maxNodes with 422 naming the rule", async () => {
    const r = await fn.call("POST", "/envs", { body: createBody("small-big", 5) });
    expect(r.status).toBe(422);
    expect(r.json.code).toBe("policy.maxNodes");
    expect(r.json.rule).toBe("maxNodes");
  });
});

describe("POST /envs: maxCores over every instance type", () => {
  it("counts each node at the largest of the env's instance types (Batch may fall back to it) and creates nothing", async () => {
    const before = (await counters()).CreateComputeEnv ?? 0;
    // small-* allows 8 cores: one BS1.LARGE8 (4 cores) fits, one BS1.LARGE48 (24 cores) does not.
    const r = await fn.call("POST", "/envs", {
      body: createBody("small-multi", 1, { EnvData: { InstanceTypes: ["BS1.LARGE8", "BS1.LARGE48"], ImageId: "img-31tjrtph" } }),
    });
    expect(r.status, JSON.stringify(r.json)).toBe(422);
    expect(r.json).toMatchObject({ code: "policy.maxCores", rule: "maxCores" });
    expect(r.json.detail).toMatch(/24 cores \(the largest of BS1\.LARGE8, BS1\.LARGE48\)/);
    expect((await counters()).CreateComputeEnv ?? 0).toBe(before);
    const one = await fn.call("POST", "/envs", { body: createBody("small-single", 1) });
    expect(one.status, JSON.stringify(one.json)).toBe(201);
  });
});

describe("POST /envs: the scaling policy applies to the nodes an env starts with", () => {
  it("refuses nodes at creation without one of the rule's scaleScopes (403) or with allowScaling false (422), and creates nothing", async () => {
    const before = (await counters()).CreateComputeEnv ?? 0;
    const scopes = await fn.call("POST", "/envs", { body: createBody("admin-new", 1) });
    expect([scopes.status, scopes.json.code, scopes.json.rule]).toEqual([403, "policy.scaleScopes", "scaleScopes"]);
    expect(scopes.json.detail).toContain("envs:admin");
    const frozen = await fn.call("POST", "/envs", { body: createBody("frozen-new", 1), key: ADMIN });
    expect([frozen.status, frozen.json.code, frozen.json.rule]).toEqual([422, "policy.allowScaling", "allowScaling"]);
    expect((await counters()).CreateComputeEnv ?? 0).toBe(before);
    expect((await t.port.listEnvs({ filters: [{ Name: "env-name", Values: ["admin-new", "frozen-new"] }] })).total).toBe(0);
    // Without nodes nothing scales: both are created; with the admin key, the admin env may start with nodes.
    expect((await fn.call("POST", "/envs", { body: createBody("frozen-new", 0) })).status).toBe(201);
    expect((await fn.call("POST", "/envs", { body: createBody("admin-new", 1), key: ADMIN })).status).toBe(201);
  });
});

describe("GET /envs and /envs/{EnvId}", () => {
  it("shows desired, nodes by state, each node's cores, busy or idle, and cost per hour", async () => {
    const envId = await createRunning("view-env", 2);
    const r = await fn.call("GET", `/envs/${envId}`, { key: READER });
    expect(r.status).toBe(200);
    expect(r.json.DesiredComputeNodeCount).toBe(2);
    expect(r.json.NodeCounts).toEqual({ Running: 2, Starting: 0, Abnormal: 0, Failed: 0, Deleting: 0, Pending: 0 });
    const list = r.json.ComputeNodes as Json[];
    expect(list).toHaveLength(2);
    for (const n of list) expect(n).toMatchObject({ Cpu: 4, Busy: false, InstanceType: "BS1.LARGE8", CostPerHour: 0.36, ComputeNodeState: "RUNNING" });
    for (const n of list) expect(n.AgeSeconds).toBeGreaterThanOrEqual(0);
    expect(r.json).toMatchObject({ Cores: 8, BusyCores: 0, IdleCores: 8, CostPerHour: 0.72, Currency: "CNY" });

    const all = await fn.call("GET", "/envs", { key: READER, query: { name: "view-env" } });
    expect(all.status).toBe(200);
    expect(all.json.TotalCount).toBe(1);
    expect((all.json.Envs as Json[])[0]).toMatchObject({ EnvId: envId, DesiredComputeNodeCount: 2, NodeCounts: { Running: 2 } });
  });

  it("filters by tag and zone and pages with offset/limit", async () => {
    for (const name of ["page-a", "page-b", "page-c"])
      expect((await fn.call("POST", "/envs", { body: createBody(name, 0, { Tags: [{ Key: "team", Value: "paging" }] }) })).status).toBe(201);
    const first = await fn.call("GET", "/envs", { key: READER, query: { tag: "team=paging", zone: "ap-guangzhou-2", limit: "2" } });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ TotalCount: 3, Offset: 0, Limit: 2, NextOffset: 2 });
    const second = await fn.call("GET", "/envs", { key: READER, query: { tag: "team=paging", offset: "2", limit: "2" } });
    expect(second.json.NextOffset).toBe(null);
    const names = [...(first.json.Envs as Json[]), ...(second.json.Envs as Json[])].map((e) => e.EnvName).sort();
    expect(names).toEqual(["page-a", "page-b", "page-c"]);
    const none = await fn.call("GET", "/envs", { key: READER, query: { tag: "team=paging", zone: "ap-guangzhou-3" } });
    expect(none.json.TotalCount).toBe(0);
    const byKey = await fn.call("GET", "/envs", { key: READER, query: { tag: "team" } });
    expect(byKey.json.TotalCount).toBe(3);
    const bad = await fn.call("GET", "/envs", { key: READER, query: { limit: "500" } });
    expect(bad.status).toBe(400);
    expect((bad.json.errors as Json[])[0]?.path).toBe("query.limit");
  });

  it("answers 404 for an env that does not exist and 400 for a malformed id", async () => {
    expect((await fn.call("GET", "/envs/env-zzzzzzzz", { key: READER })).status).toBe(404);
    const bad = await fn.call("GET", "/envs/nope", { key: READER });
    expect(bad.status).toBe(400);
    expect((bad.json.errors as Json[])[0]?.path).toBe("EnvId");
  });
});

describe("POST /envs/{EnvId}/scale", () => {
  it("dry run answers the change (nodes, cores, cost before and after) and changes nothing", async () => {
    const envId = await createRunning("dry-env", 2);
    const modifies = (await counters()).ModifyComputeEnv ?? 0;
    const r = await fn.call("POST", `/envs/${envId}/scale`, { body: { DesiredComputeNodeCount: 4 }, query: { dryRun: "true" } });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      PreviousDesiredComputeNodeCount: 2,
      DesiredComputeNodeCount: 4,
      DryRun: true,
      Applied: false,
      Before: { DesiredComputeNodeCount: 2, Nodes: 2, Cores: 8, CostPerHour: 0.72 },
      After: { DesiredComputeNodeCount: 4, Nodes: 4, Cores: 16, CostPerHour: 1.44 },
    });
    expect((await counters()).ModifyComputeEnv ?? 0).toBe(modifies);
    expect((await t.port.getEnv(envId)).DesiredComputeNodeCount).toBe(2);
    expect(await liveNodes(envId)).toHaveLength(2);
    expect(fn.audits().filter((a) => a.env_id === envId && a.what === "scale")).toHaveLength(0);
  });

  it("scales up: the emulator creates the nodes, the answer says previous and new desired, one audit line", async () => {
    const envId = await createRunning("up-env", 1);
    const r = await fn.call("POST", `/envs/${envId}/scale`, { body: { delta: 2, reason: "render backlog" } });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ PreviousDesiredComputeNodeCount: 1, DesiredComputeNodeCount: 3, Direction: "up", Applied: true });
    await eventually(async () => (await nodesOf(envId)).filter((n) => n.ComputeNodeState === "RUNNING").length === 3);
    const audit = fn.audits().filter((a) => a.env_id === envId && a.what === "scale");
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ who: "writer", why: "render backlog", before: { DesiredComputeNodeCount: 1 }, after: { DesiredComputeNodeCount: 3 } });
  });

  it("scales down by terminating idle nodes and keeps the busy one", async () => {
    const envId = await createRunning("down-env", 3);
    const job = await t.port.submitJob({
      Placement: { Zone: "ap-guangzhou-2" },
      Job: { JobName: "busy", Tasks: [{ TaskName: "t", EnvId: envId, Application: { DeliveryForm: "LOCAL", Command: "sleep 5" } }] },
    });
    expect(job.jobId).toMatch(/^job-/);
    const busy = await eventually(async () => (await nodesOf(envId)).find((n) => n.TaskInstanceNumAvailable === 0 && n.ComputeNodeState === "RUNNING"));
    const r = await fn.call("POST", `/envs/${envId}/scale`, { body: { DesiredComputeNodeCount: 1 } });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json).toMatchObject({ PreviousDesiredComputeNodeCount: 3, DesiredComputeNodeCount: 1, Direction: "down", BusyNodes: [] });
    expect(r.json.TerminateNodes as string[]).toHaveLength(2);
    expect(r.json.TerminateNodes as string[]).not.toContain(busy.ComputeNodeId);
    await eventually(async () => (await nodesOf(envId)).length === 1);
    const left = await nodesOf(envId);
    expect(left[0]?.ComputeNodeId).toBe(busy.ComputeNodeId);
    expect((await t.port.getEnv(envId)).DesiredComputeNodeCount).toBe(1);
  });

  it("after terminating idle nodes, never sends ModifyComputeEnv on a read where Batch has not yet lowered desired", async () => {
    const envId = await createRunning("lag-env", 3);
    // Batch lowers the desired count asynchronously: for a while DescribeComputeEnv still shows the old one.
    const stale = new Map<string, number>();
    const lagging: BatchPort = {
      ...t.port,
      async terminateNodes(id, nodeIds) {
        stale.set(id, (await t.port.getEnv(id)).DesiredComputeNodeCount);
        return t.port.terminateNodes(id, nodeIds);
      },
      async getEnv(id) {
        const e = await t.port.getEnv(id);
        const old = stale.get(id);
        return old === undefined ? e : { ...e, DesiredComputeNodeCount: old };
      },
    };
    const lf = envsFunction(t, POLICY, { port: lagging });
    const modifies = (await counters()).ModifyComputeEnv ?? 0;
    const r = await lf.call("POST", `/envs/${envId}/scale`, { body: { DesiredComputeNodeCount: 1 } });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json.TerminateNodes as string[]).toHaveLength(2);
    expect((await counters()).ModifyComputeEnv ?? 0).toBe(modifies);
    expect(r.json.RequestIds as string[]).toHaveLength(1);
    await eventually(async () => (await nodesOf(envId)).length === 1);
    expect((await t.port.getEnv(envId)).DesiredComputeNodeCount).toBe(1);
  });

  it("refuses each guardrail with the rule's name and changes nothing", async () => {
    const frozen = await createRunning("frozen-env", 0);
    const small = await createRunning("small-env", 1);
    // Created by the writer (its owner): what refuses is the policy, not ownership.
    const admin = await createRunning("admin-env", 0);
    const cases: Array<[string, Json, number, string, string?]> = [
      [frozen, { DesiredComputeNodeCount: 2 }, 422, "allowScaling"],
      [small, { DesiredComputeNodeCount: 4 }, 422, "maxNodes"],
      [small, { DesiredComputeNodeCount: 0 }, 422, "minNodes"],
      [small, { DesiredComputeNodeCount: 3 }, 422, "maxCores"],
      [admin, { DesiredComputeNodeCount: 2 }, 403, "scaleScopes"],
    ];
    const modifies = (await counters()).ModifyComputeEnv ?? 0;
    for (const [envId, body, status, rule] of cases) {
      const r = await fn.call("POST", `/envs/${envId}/scale`, { body });
      expect([r.status, r.json.rule], `${rule}`).toEqual([status, rule]);
      expect(r.json.code).toBe(`policy.${rule}`);
      expect(r.json.detail).toContain(rule);
    }
    expect((await counters()).ModifyComputeEnv ?? 0).toBe(modifies);
    // A key with all scopes may scale the admin env.
    const ok = await fn.call("POST", `/envs/${admin}/scale`, { body: { DesiredComputeNodeCount: 2 }, key: ADMIN });
    expect(ok.status).toBe(200);
  });

  it("holds the cooldown across two separate function instances, from Batch's activities", async () => {
    // Desired 0: the env starts with no activity at all, so only the first scaling can start the cooldown.
    const envId = await createRunning("cool-env", 0);
    // Created a minute ago: the creation itself is no change (shared/schemas/activities.ts latestChange).
    await ageEnv(t, envId, 60_000);
    const a = envsFunction(t, POLICY);
    const first = await a.call("POST", `/envs/${envId}/scale`, { body: { DesiredComputeNodeCount: 2 } });
    expect(first.status, JSON.stringify(first.json)).toBe(200);
    expect(first.json.LastActivityTime).toBe(null);
    // A second, separate instance (no memory shared with the first) is refused from Batch's activities.
    const b = envsFunction(t, POLICY);
    const second = await b.call("POST", `/envs/${envId}/scale`, { body: { DesiredComputeNodeCount: 3 } });
    expect(second.status).toBe(422);
    expect(second.json).toMatchObject({ code: "policy.cooldownSeconds", rule: "cooldownSeconds" });
    expect(second.json.detail).toMatch(/CREATE of node-/);
    expect(Number(second.headers["retry-after"])).toBeGreaterThan(50);
    expect((await t.port.getEnv(envId)).DesiredComputeNodeCount).toBe(2);
    // Once the cooldown has passed (a third instance whose clock is 61 s ahead), scaling is allowed again.
    const c = envsFunction(t, POLICY, { now: () => Date.now() + 61_000 });
    const third = await c.call("POST", `/envs/${envId}/scale`, { body: { DesiredComputeNodeCount: 3 } });
    expect(third.status, JSON.stringify(third.json)).toBe(200);
    expect(third.json).toMatchObject({ PreviousDesiredComputeNodeCount: 2, DesiredComputeNodeCount: 3 });
  });

  it("starts no cooldown from the env's creation: the first scale right after creating it with nodes is allowed", async () => {
    const envId = await createRunning("cool-fresh", 1);
    // Created (with its node) 30 s ago: were the creation a change, the 60 s cooldown would refuse this scale.
    await ageEnv(t, envId, 30_000);
    const r = await envsFunction(t, POLICY).call("POST", `/envs/${envId}/scale`, { body: { DesiredComputeNodeCount: 2 } });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    // That scale is a change: the next one within cooldownSeconds is refused.
    const again = await envsFunction(t, POLICY).call("POST", `/envs/${envId}/scale`, { body: { DesiredComputeNodeCount: 3 } });
    expect(again.status, JSON.stringify(again.json)).toBe(422);
    expect(again.json).toMatchObject({ code: "policy.cooldownSeconds" });
  });

  it("answers 400 with the field path for bad bodies", async () => {
    const envId = await createRunning("bad-body-env", 0);
    const cases: Array<[unknown, string]> = [
      [{ DesiredComputeNodeCount: "3" }, "DesiredComputeNodeCount"],
      [{ DesiredComputeNodeCount: 2, delta: 1 }, "delta"],
      [{}, "DesiredComputeNodeCount"],
      [{ DesiredComputeNodeCount: 2.5 }, "DesiredComputeNodeCount"],
      [{ DesiredComputeNodeCount: 2, extra: true }, "extra"],
    ];
    for (const [body, path] of cases) {
      const r = await fn.call("POST", `/envs/${envId}/scale`, { body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect((r.json.errors as Json[])[0]?.path, JSON.stringify(body)).toBe(path);
    }
    const notJson = await fn.call("POST", `/envs/${envId}/scale`, { body: "{nope" });
    expect(notJson.status).toBe(400);
    expect(notJson.json.code).toBe("malformed_json");
  });

  it("refuses a reader key (403) before looking at the env", async () => {
    const r = await fn.call("POST", "/envs/env-abcdefgh/scale", { body: { DesiredComputeNodeCount: 1 }, key: READER });
    expect(r.status).toBe(403);
  });
});

describe("nodes/terminate and DELETE (nodes take 30 s to go)", () => {
  let slow: TestEmulator;
  let sf: ReturnType<typeof envsFunction>;
  beforeAll(async () => {
    slow = await startTestEmulator({ timings: { nodeDeleteMs: 30_000 } });
    sf = envsFunction(slow, POLICY);
  });
  afterAll(() => slow.stop());

  async function running(name: string, desired: number): Promise<string> {
    const r = await sf.call("POST", "/envs", { body: createBody(name, desired) });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    const envId = r.json.EnvId as string;
    await eventually(async () => (await slow.port.getEnv(envId)).ComputeNodeSet.filter((n) => n.ComputeNodeState === "RUNNING").length === desired);
    return envId;
  }

  it("terminates chosen nodes, then answers 409 for a node already going and 404 for one not in the env", async () => {
    const envId = await running("term-env", 2);
    const [node] = (await slow.port.getEnv(envId)).ComputeNodeSet;
    const r = await sf.call("POST", `/envs/${envId}/nodes/terminate`, { body: { ComputeNodeIds: [node!.ComputeNodeId] } });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json).toMatchObject({ PreviousDesiredComputeNodeCount: 2, DesiredComputeNodeCount: 1, Applied: true, ComputeNodeIds: [node!.ComputeNodeId] });
    const after = await slow.port.getEnv(envId);
    expect(after.ComputeNodeSet.find((n) => n.ComputeNodeId === node!.ComputeNodeId)?.ComputeNodeState).toBe("DELETING");
    expect(after.DesiredComputeNodeCount).toBe(1);
    const again = await sf.call("POST", `/envs/${envId}/nodes/terminate`, { body: { ComputeNodeIds: [node!.ComputeNodeId] } });
    expect(again.status).toBe(409);
    expect(again.json.detail).toMatch(/already being terminated/);
    expect((again.json.errors as Json[])[0]?.path).toBe("ComputeNodeIds[0]");
    const missing = await sf.call("POST", `/envs/${envId}/nodes/terminate`, { body: { ComputeNodeIds: ["node-zzzzzzzz"] } });
    expect(missing.status).toBe(404);
    expect((missing.json.errors as Json[])[0]?.path).toBe("ComputeNodeIds[0]");
    expect(sf.audits().filter((a) => a.env_id === envId && a.what === "terminate-nodes")).toHaveLength(1);
  });

  it("holds the cooldown for terminating live nodes right after a scale (422 + Retry-After), and nothing goes", async () => {
    const envId = await running("cool-term", 1);
    await ageEnv(slow, envId, 60_000);
    const later = envsFunction(slow, POLICY, { now: () => Date.now() + 61_000 });
    const up = await later.call("POST", `/envs/${envId}/scale`, { body: { DesiredComputeNodeCount: 2 } });
    expect(up.status, JSON.stringify(up.json)).toBe(200);
    await eventually(async () => (await slow.port.getEnv(envId)).ComputeNodeSet.filter((n) => n.ComputeNodeState === "RUNNING").length === 2);
    const [node] = (await slow.port.getEnv(envId)).ComputeNodeSet;
    const r = await sf.call("POST", `/envs/${envId}/nodes/terminate`, { body: { ComputeNodeIds: [node!.ComputeNodeId] } });
    expect(r.status, JSON.stringify(r.json)).toBe(422);
    expect(r.json).toMatchObject({ code: "policy.cooldownSeconds", rule: "cooldownSeconds" });
    expect(Number(r.headers["retry-after"])).toBeGreaterThan(50);
    const after = await slow.port.getEnv(envId);
    expect(after.DesiredComputeNodeCount).toBe(2);
    expect(after.ComputeNodeSet.find((n) => n.ComputeNodeId === node!.ComputeNodeId)?.ComputeNodeState).toBe("RUNNING");
    // Once the cooldown has passed (an instance whose clock is 61 s ahead), the node may go.
    const ok = await later.call("POST", `/envs/${envId}/nodes/terminate`, { body: { ComputeNodeIds: [node!.ComputeNodeId] } });
    expect(ok.status, JSON.stringify(ok.json)).toBe(200);
    expect((await slow.port.getEnv(envId)).DesiredComputeNodeCount).toBe(1);
  });

  it("applies allowScaling (422) and scaleScopes (403) to live nodes, but removing a CREATION_FAILED node is cleanup", async () => {
    // The writer owns it (ownership is not what refuses); its node came from an admin's scale.
    const admin = await running("admin-term", 0);
    const up = await sf.call("POST", `/envs/${admin}/scale`, { body: { DesiredComputeNodeCount: 1 }, key: ADMIN });
    expect(up.status, JSON.stringify(up.json)).toBe(200);
    await eventually(async () => (await slow.port.getEnv(admin)).ComputeNodeSet.some((n) => n.ComputeNodeState === "RUNNING"));
    const [adminNode] = (await slow.port.getEnv(admin)).ComputeNodeSet;
    const denied = await sf.call("POST", `/envs/${admin}/nodes/terminate`, { body: { ComputeNodeIds: [adminNode!.ComputeNodeId] } });
    expect([denied.status, denied.json.code]).toEqual([403, "policy.scaleScopes"]);
    expect((await slow.port.getEnv(admin)).DesiredComputeNodeCount).toBe(1);

    // A frozen env an operator scaled in Batch itself, whose first node failed to be created.
    const frozen = await running("frozen-term", 0);
    const fail = await fetch(`${slow.emu.url}/_emulator/envs/${frozen}/fail-creations`, { method: "POST", body: JSON.stringify({ count: 1 }) });
    expect(fail.status).toBe(200);
    await slow.port.setDesiredNodes(frozen, 1);
    const nodes = await eventually(async () => {
      const set = (await slow.port.getEnv(frozen)).ComputeNodeSet;
      const failed = set.find((n) => n.ComputeNodeState === "CREATION_FAILED");
      const live = set.find((n) => n.ComputeNodeState === "RUNNING");
      return failed && live ? { failed, live } : undefined;
    });
    const refused = await sf.call("POST", `/envs/${frozen}/nodes/terminate`, { body: { ComputeNodeIds: [nodes.live.ComputeNodeId] } });
    expect([refused.status, refused.json.code]).toEqual([422, "policy.allowScaling"]);
    const cleanup = await sf.call("POST", `/envs/${frozen}/nodes/terminate`, { body: { ComputeNodeIds: [nodes.failed.ComputeNodeId] } });
    expect(cleanup.status, JSON.stringify(cleanup.json)).toBe(200);
    expect(cleanup.json).toMatchObject({ PreviousDesiredComputeNodeCount: 1, DesiredComputeNodeCount: 1, Applied: true });
    const after = await slow.port.getEnv(frozen);
    expect(after.ComputeNodeSet.find((n) => n.ComputeNodeId === nodes.failed.ComputeNodeId)?.ComputeNodeState ?? "gone").toMatch(/DELETING|gone/);
    expect(after.DesiredComputeNodeCount).toBe(1);
    expect(after.ComputeNodeSet.find((n) => n.ComputeNodeId === nodes.live.ComputeNodeId)?.ComputeNodeState).toBe("RUNNING");
  });

  it("refuses to delete an env whose nodes run tasks (409) unless forced", async () => {
    const envId = await running("busy-del-env", 1);
    await slow.port.submitJob({
      Placement: { Zone: "ap-guangzhou-2" },
      Job: { Tasks: [{ TaskName: "t", EnvId: envId, Application: { DeliveryForm: "LOCAL", Command: "sleep 5" } }] },
    });
    await eventually(async () => (await slow.port.getEnv(envId)).ComputeNodeSet.some((n) => n.TaskInstanceNumAvailable === 0));
    const r = await sf.call("DELETE", `/envs/${envId}`);
    expect(r.status).toBe(409);
    expect(r.json.code).toBe("env_busy");
    expect((await slow.port.getEnv(envId)).NextAction ?? null).toBe(null);
    const forced = await sf.call("DELETE", `/envs/${envId}`, { query: { force: "true" } });
    expect(forced.status).toBe(202);
  });

  it("refuses to delete an env the policy keeps nodes in (422 minNodes) unless forced, and a key without the rule's scopes (403)", async () => {
    const envId = await running("small-del", 1);
    const r = await sf.call("DELETE", `/envs/${envId}`);
    expect([r.status, r.json.code, r.json.rule]).toEqual([422, "policy.minNodes", "minNodes"]);
    expect(r.json.detail).toMatch(/force=true/);
    expect((await slow.port.getEnv(envId)).NextAction ?? null).toBe(null);
    const admin = await running("admin-del", 0);
    const denied = await sf.call("DELETE", `/envs/${admin}`);
    expect([denied.status, denied.json.code]).toEqual([403, "policy.scaleScopes"]);
    expect((await slow.port.getEnv(admin)).NextAction ?? null).toBe(null);
    const forced = await sf.call("DELETE", `/envs/${envId}`, { query: { force: "true" } });
    expect(forced.status).toBe(202);
    expect((await slow.port.getEnv(envId)).NextAction).toBe("DELETING");
  });

  it("deletes an env (202) and answers 409 while it is being deleted", async () => {
    const envId = await running("del-env", 1);
    const r = await sf.call("DELETE", `/envs/${envId}`);
    expect(r.status).toBe(202);
    expect(r.json).toMatchObject({ EnvId: envId, Action: "delete", NextAction: "DELETING", PreviousDesiredComputeNodeCount: 1 });
    expect((await slow.port.getEnv(envId)).NextAction).toBe("DELETING");
    const again = await sf.call("DELETE", `/envs/${envId}`);
    expect(again.status).toBe(409);
    expect(again.json.code).toBe("env_deleting");
    const scale = await sf.call("POST", `/envs/${envId}/scale`, { body: { DesiredComputeNodeCount: 2 } });
    expect(scale.status).toBe(409);
    expect(sf.audits().filter((a) => a.env_id === envId && a.what === "delete")).toHaveLength(1);
  });
});

describe("OpenAPI", () => {
  it("serves the document at /openapi/envs.json through the API Gateway event too", async () => {
    const r = await fn.call("GET", "/openapi/envs.json", { key: READER, apigw: true });
    expect(r.status).toBe(200);
    const paths = Object.keys(r.json.paths as Json);
    expect(paths).toEqual(expect.arrayContaining(["/envs", "/envs/{EnvId}", "/envs/{EnvId}/scale", "/envs/{EnvId}/nodes/terminate"]));
  });
});
