// Ownership (issue 18): an env created through POST /envs carries its creator (tag
// batch-scf/creator); only that key, or one holding envs:admin, may scale it, delete it or
// terminate its nodes. Envs made elsewhere (no tag) stay changeable by any envs:write key, within
// the policy's scaleScopes. End to end through the real SDK against the emulator.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestEmulator, type TestEmulator } from "../support/emulator";
import { ADMIN, ALICE, ALL, BOB, createBody, envsFunction, OPS, READER, STAR } from "./harness";

const POLICY = { default: { cooldownSeconds: 0, maxNodes: 10 }, envs: [{ envName: "guarded-*", scaleScopes: ["envs:admin"] }] };

let t: TestEmulator;
let fn: ReturnType<typeof envsFunction>;
beforeAll(async () => {
  t = await startTestEmulator();
  fn = envsFunction(t, POLICY);
});
afterAll(() => t.stop());

type Json = Record<string, unknown>;
const runningNodes = async (envId: string) => (await t.port.getEnv(envId)).ComputeNodeSet.filter((n) => n.ComputeNodeState === "RUNNING");

async function createAs(key: string, name: string, desired: number): Promise<string> {
  const r = await fn.call("POST", "/envs", { body: createBody(name, desired), key });
  expect(r.status, JSON.stringify(r.json)).toBe(201);
  const envId = r.json.EnvId as string;
  await eventually(async () => (await runningNodes(envId)).length === desired);
  return envId;
}

/** An env made outside this API (the console, another tool): no creator tag. */
async function createUntagged(name: string, desired: number): Promise<string> {
  const { envId } = await t.port.createEnv(createBody(name, desired) as Parameters<typeof t.port.createEnv>[0]);
  await eventually(async () => (await runningNodes(envId)).length === desired);
  return envId;
}

describe("an env created through the API belongs to its creator", () => {
  it("is tagged batch-scf/creator and shows Creator in the answer, the env and the list", async () => {
    const r = await fn.call("POST", "/envs", { body: createBody("owned-view", 0, { Tags: [{ Key: "team", Value: "render" }] }), key: ALICE });
    expect(r.status).toBe(201);
    expect(r.json.Creator).toBe("alice");
    const envId = r.json.EnvId as string;
    expect((await t.port.getEnv(envId)).Tags).toEqual([
      { Key: "team", Value: "render" },
      { Key: "batch-scf/creator", Value: "alice" },
    ]);
    const one = await fn.call("GET", `/envs/${envId}`, { key: READER });
    expect(one.json.Creator).toBe("alice");
    const list = await fn.call("GET", "/envs", { key: READER, query: { name: "owned-view" } });
    expect((list.json.Envs as Json[])[0]).toMatchObject({ EnvId: envId, Creator: "alice" });
  });

  it("refuses another writer's scale (dry run too), node terminate and delete with 403 not_owner, changing nothing", async () => {
    const envId = await createAs(ALICE, "owned-alice", 2);
    const [node] = await runningNodes(envId);
    const counters = async () => (await (await fetch(`${t.emu.url}/_emulator/counters`)).json()) as Record<string, number>;
    const writes = async () => {
      const c = await counters();
      return (c.ModifyComputeEnv ?? 0) + (c.TerminateComputeNodes ?? 0) + (c.DeleteComputeEnv ?? 0);
    };
    const before = await writes();
    const attempts: Array<[string, () => ReturnType<typeof fn.call>]> = [
      ["scale", () => fn.call("POST", `/envs/${envId}/scale`, { body: { DesiredComputeNodeCount: 3 }, key: BOB })],
      ["scale dry run", () => fn.call("POST", `/envs/${envId}/scale`, { body: { DesiredComputeNodeCount: 3 }, query: { dryRun: "true" }, key: BOB })],
      ["terminate", () => fn.call("POST", `/envs/${envId}/nodes/terminate`, { body: { ComputeNodeIds: [node!.ComputeNodeId] }, key: BOB })],
      ["delete", () => fn.call("DELETE", `/envs/${envId}`, { key: BOB })],
    ];
    for (const [what, attempt] of attempts) {
      const r = await attempt();
      expect([r.status, r.json.code], what).toEqual([403, "not_owner"]);
      expect(r.json, what).toMatchObject({ owner: "alice", requiredScope: "envs:admin" });
      expect(r.json.detail, what).toBe(`env ${envId} was created by alice; the API key bob may change only what it created, or needs the scope envs:admin`);
    }
    expect(await writes()).toBe(before);
    const env = await t.port.getEnv(envId);
    expect([env.DesiredComputeNodeCount, env.NextAction ?? null, (await runningNodes(envId)).length]).toEqual([2, null, 2]);
    expect(fn.audits().filter((a) => a.env_id === envId && a.what !== "create")).toEqual([]);
  });

  it("lets the creator and keys listing envs:admin change it; envs:* and a key without scopes do not grant it", async () => {
    const envId = await createAs(ALICE, "owned-shared", 1);
    for (const key of [STAR, ALL]) {
      const r = await fn.call("POST", `/envs/${envId}/scale`, { body: { DesiredComputeNodeCount: 2 }, key });
      expect(r.status, JSON.stringify(r.json)).toBe(403);
      expect(r.json).toMatchObject({ code: "not_owner", requiredScope: "envs:admin" });
    }
    const own = await fn.call("POST", `/envs/${envId}/scale`, { body: { DesiredComputeNodeCount: 2 }, key: ALICE });
    expect(own.status, JSON.stringify(own.json)).toBe(200);
    const ops = await fn.call("POST", `/envs/${envId}/scale`, { body: { DesiredComputeNodeCount: 3 }, key: OPS });
    expect(ops.status, JSON.stringify(ops.json)).toBe(200);
    await eventually(async () => (await runningNodes(envId)).length === 3);
    const [node] = await runningNodes(envId);
    const admin = await fn.call("POST", `/envs/${envId}/nodes/terminate`, { body: { ComputeNodeIds: [node!.ComputeNodeId] }, key: ADMIN });
    expect(admin.status, JSON.stringify(admin.json)).toBe(200);
    // Changing an env does not make it the changer's: it stays alice's.
    expect((await fn.call("GET", `/envs/${envId}`, { key: READER })).json.Creator).toBe("alice");
    const del = await fn.call("DELETE", `/envs/${envId}`, { key: OPS });
    expect(del.status, JSON.stringify(del.json)).toBe(202);
    expect(fn.audits().filter((a) => a.env_id === envId).map((a) => [a.who, a.what])).toEqual([
      ["alice", "create"],
      ["alice", "scale"],
      ["ops", "scale"],
      ["admin", "terminate-nodes"],
      ["ops", "delete"],
    ]);
  });
});

describe("an env made outside the API (no creator tag)", () => {
  it("shows Creator null and may be scaled, have nodes terminated and be deleted by any writer", async () => {
    const envId = await createUntagged("console-env", 1);
    expect((await fn.call("GET", `/envs/${envId}`, { key: READER })).json.Creator).toBe(null);
    const up = await fn.call("POST", `/envs/${envId}/scale`, { body: { DesiredComputeNodeCount: 2 }, key: BOB });
    expect(up.status, JSON.stringify(up.json)).toBe(200);
    await eventually(async () => (await runningNodes(envId)).length === 2);
    const [node] = await runningNodes(envId);
    const term = await fn.call("POST", `/envs/${envId}/nodes/terminate`, { body: { ComputeNodeIds: [node!.ComputeNodeId] }, key: ALICE });
    expect(term.status, JSON.stringify(term.json)).toBe(200);
    const del = await fn.call("DELETE", `/envs/${envId}`, { key: BOB });
    expect(del.status, JSON.stringify(del.json)).toBe(202);
  });

  it("still needs one of the policy's scaleScopes", async () => {
    const envId = await createUntagged("guarded-console", 0);
    const r = await fn.call("POST", `/envs/${envId}/scale`, { body: { DesiredComputeNodeCount: 1 }, key: BOB });
    expect([r.status, r.json.code]).toEqual([403, "policy.scaleScopes"]);
    const ok = await fn.call("POST", `/envs/${envId}/scale`, { body: { DesiredComputeNodeCount: 1 }, key: OPS });
    expect(ok.status, JSON.stringify(ok.json)).toBe(200);
  });
});
