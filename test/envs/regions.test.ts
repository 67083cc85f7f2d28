// The envs API over several regions (BATCH_REGIONS): one POST /envs endpoint creates each env in
// the region of its zone, GET /envs merges the regions newest first with a cursor, env ids resolve
// without the caller naming the region, and a policy rule may match by region. End to end:
// batchRegionsFromEnv → the real SDK → one emulator serving both regions.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { batchRegionsFromEnv } from "../../shared/batch/config";
import { memoryLogger } from "../../shared/log";
import type { Emulator } from "../../local/emulator/server";
import { callsSince, startTestEmulator, TEST_SECRET_ID, TEST_SECRET_KEY, type TestEmulator } from "../support/emulator";
import { createBody, envsFunction, WRITER } from "./harness";

type Json = Record<string, unknown>;
/** Shanghai envs may hold at most 2 nodes; Guangzhou keeps the default 20. */
const POLICY = { default: { cooldownSeconds: 0 }, envs: [{ region: "ap-shanghai", maxNodes: 2 }] };

let test: TestEmulator;
let emu: Emulator;
/** The emulator's clock runs ahead by `skew`: each env below is created a second or more after the one before. */
let skew = 0;

/** A function instance of its own (its own id → region memory), as SCF may start several. */
function instance() {
  const { regions } = batchRegionsFromEnv(
    {
      TENCENTCLOUD_REGION: "ap-guangzhou",
      BATCH_REGIONS: "ap-guangzhou,ap-shanghai",
      BATCH_ENDPOINT: emu.url,
      BATCH_RATES: '{"DescribeComputeEnv": 1000, "DescribeComputeEnvs": 1000, "CreateComputeEnv": 1000, "DescribeComputeEnvCreateInfo": 1000}',
      TENCENTCLOUD_SECRETID: TEST_SECRET_ID,
      TENCENTCLOUD_SECRETKEY: TEST_SECRET_KEY,
    },
    memoryLogger({ function: "envs" }),
  );
  return envsFunction({ port: regions.port("ap-guangzhou") }, POLICY, { regions });
}

/** Batch calls by action from now on. */
const counted = () => callsSince(emu);

let api: ReturnType<typeof instance>;
/** Created in this order, alternating regions, each a second or more after the one before. */
const created: Array<{ id: string; region: string }> = [];

beforeAll(async () => {
  test = await startTestEmulator({ exec: false, now: () => Date.now() + skew });
  emu = test.emu;
  api = instance();
});
afterAll(async () => {
  await test?.stop();
});

const inZone = (zone: string, name: string) => ({ ...createBody(name, 0), Placement: { Zone: zone } });

describe("envs across ap-guangzhou and ap-shanghai through one endpoint", () => {
  it("creates each env in the region of its zone, and refuses a zone of a region not served", async () => {
    for (const [i, zone] of ["ap-guangzhou-2", "ap-shanghai-1", "ap-guangzhou-2", "ap-shanghai-1", "ap-guangzhou-2"].entries()) {
      skew += 2000;
      const r = await api.call("POST", "/envs", { body: inZone(zone, `multi-${i}`) });
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      created.push({ id: r.json.EnvId as string, region: r.json.Region as string });
    }
    expect(created.map((c) => c.region)).toEqual(["ap-guangzhou", "ap-shanghai", "ap-guangzhou", "ap-shanghai", "ap-guangzhou"]);
    expect(emu.counters.get("CreateComputeEnv")).toBe(5);

    const beijing = await api.call("POST", "/envs", { body: inZone("ap-beijing-1", "nope") });
    expect(beijing.status).toBe(400);
    expect(beijing.json.errors).toContainEqual({
      path: "Placement.Zone",
      message: "zone ap-beijing-1 is in region ap-beijing, which this API does not serve (ap-guangzhou, ap-shanghai)",
    });
  });

  it("lists both regions newest first, Region on every env, paging by cursor exactly once through all", async () => {
    const seen: Array<{ id: string; region: string }> = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r = await api.call("GET", "/envs", { query: cursor ? { limit: "2", cursor } : { limit: "2" } });
      expect(r.status).toBe(200);
      expect(r.json.TotalCount).toBe(5);
      for (const e of r.json.Envs as Json[]) seen.push({ id: e.EnvId as string, region: e.Region as string });
      cursor = r.json.NextCursor as string | null;
      expect(r.json.NextOffset).toBe(cursor ? seen.length : null);
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([...created].reverse());
  });

  it("narrows with ?region= (offset paging, as with one region) and with ?zone=, and refuses what it cannot answer right", async () => {
    const sh = created.filter((c) => c.region === "ap-shanghai").map((c) => c.id).reverse();
    const p1 = await api.call("GET", "/envs", { query: { region: "ap-shanghai", limit: "1" } });
    expect(p1.json).toMatchObject({ TotalCount: 2, Offset: 0, NextOffset: 1 });
    const p2 = await api.call("GET", "/envs", { query: { region: "ap-shanghai", limit: "1", offset: "1" } });
    expect(p2.json).toMatchObject({ TotalCount: 2, NextOffset: null, NextCursor: null });
    expect([...(p1.json.Envs as Json[]), ...(p2.json.Envs as Json[])].map((e) => [e.EnvId, e.Region])).toEqual(sh.map((id) => [id, "ap-shanghai"]));
    const byZone = await api.call("GET", "/envs", { query: { zone: "ap-shanghai-1" } });
    expect((byZone.json.Envs as Json[]).map((e) => e.EnvId)).toEqual(sh);

    const paths = async (query: Record<string, string>) => {
      const r = await api.call("GET", "/envs", { query });
      expect(r.status).toBe(400);
      return (r.json.errors as Array<{ path: string }>).map((e) => e.path);
    };
    expect(await paths({ region: "ap-beijing" })).toEqual(["query.region"]);
    expect(await paths({ zone: "ap-guangzhou-2", region: "ap-shanghai" })).toEqual(["query.zone"]);
    expect(await paths({ offset: "2" })).toEqual(["query.offset"]);
    expect(await paths({ region: "ap-shanghai", cursor: (await api.call("GET", "/envs", { query: { limit: "1" } })).json.NextCursor as string })).toEqual([
      "query.cursor",
    ]);
  });

  it("inspects an env by id alone from another instance: one DescribeComputeEnv per region the first time, then one", async () => {
    const other = instance();
    const sh = created[1]!;
    const first = counted();
    const r = await other.call("GET", `/envs/${sh.id}`);
    expect(r.json).toMatchObject({ EnvId: sh.id, Region: "ap-shanghai", Zone: "ap-shanghai-1" });
    expect(first("DescribeComputeEnv")).toBe(2);
    const again = counted();
    expect((await other.call("GET", `/envs/${sh.id}`)).status).toBe(200);
    expect(again("DescribeComputeEnv")).toBe(1);
    expect((await instance().call("GET", `/envs/${sh.id}`, { query: { region: "ap-guangzhou" } })).status).toBe(404);
    expect((await instance().call("GET", "/envs/env-zzzzzzzz")).status).toBe(404);
  });

  it("scales by id alone in the env's region, under the rule of that region", async () => {
    const [gz, sh] = created;
    const shDetail = await instance().call("GET", `/envs/${sh!.id}`);
    expect(shDetail.json.Policy).toMatchObject({ maxNodes: 2 });
    expect((await instance().call("GET", `/envs/${gz!.id}`)).json.Policy).toMatchObject({ maxNodes: 20 });

    const tooMany = await instance().call("POST", `/envs/${sh!.id}/scale`, { body: { DesiredComputeNodeCount: 3 } });
    expect(tooMany.status).toBe(422);
    expect(tooMany.json).toMatchObject({ code: "policy.maxNodes" });
    const up = await instance().call("POST", `/envs/${sh!.id}/scale`, { body: { DesiredComputeNodeCount: 2 }, key: WRITER });
    expect(up.status, JSON.stringify(up.json)).toBe(200);
    expect(up.json).toMatchObject({ EnvId: sh!.id, Region: "ap-shanghai", DesiredComputeNodeCount: 2, Applied: true });
    const gzDry = await instance().call("POST", `/envs/${gz!.id}/scale`, { body: { DesiredComputeNodeCount: 3 }, query: { dryRun: "true" } });
    expect(gzDry.json).toMatchObject({ Region: "ap-guangzhou", DesiredComputeNodeCount: 3, DryRun: true });
    // The change landed in Shanghai, in the one env.
    const listed = await api.call("GET", "/envs", { query: { region: "ap-shanghai" } });
    expect((listed.json.Envs as Json[]).map((e) => [e.EnvId, e.DesiredComputeNodeCount])).toEqual([
      [created[3]!.id, 0],
      [sh!.id, 2],
    ]);
    // Creating in Shanghai above its rule's maxNodes is refused too.
    const big = await api.call("POST", "/envs", { body: { ...createBody("big", 3), Placement: { Zone: "ap-shanghai-1" } } });
    expect(big.json).toMatchObject({ code: "policy.maxNodes" });
  });

  it("keeps idempotency across regions: a key is one request, wherever its zone", async () => {
    const headers = { "idempotency-key": "regions-env-1" };
    const a = await api.call("POST", "/envs", { body: inZone("ap-shanghai-1", "idem"), headers });
    const b = await instance().call("POST", "/envs", { body: inZone("ap-shanghai-1", "idem"), headers });
    expect(b.json).toMatchObject({ EnvId: a.json.EnvId, Region: "ap-shanghai", Replayed: true });
    const moved = await instance().call("POST", "/envs", { body: inZone("ap-guangzhou-2", "idem"), headers });
    expect(moved.status).toBe(409);
    expect(moved.json).toMatchObject({ code: "idempotency_key_reused", envId: a.json.EnvId });
  });
});
