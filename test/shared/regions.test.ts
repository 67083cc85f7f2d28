// BATCH_REGIONS and the per-region Batch ports (shared/batch/config.ts, shared/batch/regions.ts).
import { describe, expect, it } from "vitest";
import { batchFromEnv, batchRegionsFor, batchRegionsFromEnv } from "../../shared/batch/config";
import { getJob, listEnvs } from "../../shared/batch/operations";
import type { BatchPort } from "../../shared/batch/port";
import { batchRegions, decodeCursor, encodeCursor, mergeNewestFirst } from "../../shared/batch/regions";
import { startTestEmulator, TEST_SECRET_ID, TEST_SECRET_KEY } from "../support/emulator";

const HOME = { TENCENTCLOUD_REGION: "ap-guangzhou" };
const regionsOf = (env: NodeJS.ProcessEnv) => batchRegionsFromEnv(env).regions.names;
const configError = (env: NodeJS.ProcessEnv) => {
  try {
    batchRegionsFromEnv(env);
  } catch (e) {
    return { code: (e as { code: string }).code, message: (e as Error).message };
  }
  return undefined;
};

describe("BATCH_REGIONS", () => {
  it("defaults to the function's own region, so one-region deployments see no change", () => {
    expect(regionsOf(HOME)).toEqual(["ap-guangzhou"]);
    expect(regionsOf({ ...HOME, BATCH_REGIONS: "" })).toEqual(["ap-guangzhou"]);
    expect(batchRegionsFromEnv(HOME).region).toBe("ap-guangzhou");
  });

  it("reads a comma-separated list in its order, spaces allowed, with or without the function's region", () => {
    expect(regionsOf({ ...HOME, BATCH_REGIONS: "ap-shanghai, ap-guangzhou" })).toEqual(["ap-shanghai", "ap-guangzhou"]);
    expect(regionsOf({ ...HOME, BATCH_REGIONS: "ap-shanghai" })).toEqual(["ap-shanghai"]);
  });

  it.each([
    ["ap-guangzhou,mars", "BATCH_REGIONS.1: a region such as ap-guangzhou"],
    ["ap-guangzhou,", "BATCH_REGIONS.1: a region such as ap-guangzhou"],
    ["ap-guangzhou-2", "BATCH_REGIONS.0: a region such as ap-guangzhou"],
    ["ap-guangzhou,ap-shanghai,ap-guangzhou", "BATCH_REGIONS.2: ap-guangzhou is listed twice"],
  ])("refuses %j naming the field", (value, detail) => {
    const e = configError({ ...HOME, BATCH_REGIONS: value });
    expect(e?.code).toBe("config_invalid");
    expect(e?.message).toContain(detail);
  });

  it("still needs the function's own region", () => {
    expect(configError({ BATCH_REGIONS: "ap-guangzhou" })?.message).toContain("TENCENTCLOUD_REGION");
  });

  it("keeps batchFromEnv (one region, the function's) as it was", () => {
    const { batch, region } = batchFromEnv({ ...HOME, BATCH_REGIONS: "ap-shanghai" });
    expect(region).toBe("ap-guangzhou");
    expect(typeof batch.listJobs).toBe("function");
  });
});

describe("the per-region ports", () => {
  it("makes a region's port on its first use, once, and no port for a region not served", () => {
    const made: string[] = [];
    const regions = batchRegions(["ap-guangzhou", "ap-shanghai"], (r) => {
      made.push(r);
      return { region: r } as unknown as BatchPort;
    });
    expect(made).toEqual([]);
    const sh = regions.port("ap-shanghai");
    expect(regions.port("ap-shanghai")).toBe(sh);
    expect(made).toEqual(["ap-shanghai"]);
    expect(() => regions.port("ap-beijing")).toThrow(/not served/);
    expect(made).toEqual(["ap-shanghai"]);
  });

  it("sends each region's calls to that region, each with its own quota", async () => {
    const t = await startTestEmulator({ exec: false });
    try {
      // One DescribeJobs per 1,000 s: a second call on a shared bucket would wait (and this test time out).
      const { regions } = batchRegionsFromEnv({
        ...HOME,
        BATCH_REGIONS: "ap-guangzhou,ap-shanghai",
        BATCH_ENDPOINT: t.emu.url,
        BATCH_RATES: '{"DescribeJobs": 0.001}',
        TENCENTCLOUD_SECRETID: TEST_SECRET_ID,
        TENCENTCLOUD_SECRETKEY: TEST_SECRET_KEY,
      });
      const submitted = await regions.port("ap-shanghai").submitJob({
        Placement: { Zone: "ap-shanghai-1" },
        Job: { Tasks: [{ TaskName: "t", Application: { DeliveryForm: "LOCAL", Command: "true" }, ComputeEnv: { EnvType: "MANAGED", EnvData: { InstanceType: "BS1.LARGE8" } } }] },
      });
      expect((await regions.port("ap-shanghai").listJobs({})).items.map((j) => j.JobId)).toEqual([submitted.jobId]);
      expect((await regions.port("ap-guangzhou").listJobs({})).items).toEqual([]);
    } finally {
      await t.stop();
    }
  });

  it("has the operations a function lists and no others, each over the same call core", async () => {
    const t = await startTestEmulator({ exec: false });
    try {
      const { regions } = batchRegionsFor({ getJob, listEnvs }, { ...HOME, BATCH_ENDPOINT: t.emu.url, TENCENTCLOUD_SECRETID: TEST_SECRET_ID, TENCENTCLOUD_SECRETKEY: TEST_SECRET_KEY });
      const port = regions.port("ap-guangzhou");
      expect(Object.keys(port).sort()).toEqual(["getJob", "listEnvs"]);
      expect(await port.listEnvs({})).toEqual({ items: [], total: 0 });
      expect(await port.getJob("job-00000000").catch((e: { code: string; status: number }) => ({ code: e.code, status: e.status }))).toEqual({
        code: "batch.ResourceNotFound.Job",
        status: 404,
      });
    } finally {
      await t.stop();
    }
  });
});

describe("listing across regions", () => {
  const t = (s: number) => ({ at: s });
  it("merges newest first and takes a prefix of each region's list", () => {
    const a = [t(9), t(5), t(1)];
    const b = [t(8), t(7), t(2)];
    const { items, taken } = mergeNewestFirst([a, b], (x) => x.at, 4);
    expect(items.map((i) => [i.item.at, i.from])).toEqual([
      [9, 0],
      [8, 1],
      [7, 1],
      [5, 0],
    ]);
    expect(taken).toEqual([2, 2]);
    // A list out of order stays in its own order: only heads are compared.
    expect(mergeNewestFirst([[t(1), t(9)], [t(5)]], (x) => x.at, 3).items.map((i) => i.item.at)).toEqual([5, 1, 9]);
    expect(mergeNewestFirst([[], []], (x: { at: number }) => x.at, 3)).toEqual({ items: [], taken: [0, 0] });
  });

  it("pages a merge exactly once through per-region offsets", () => {
    const lists = [
      [30, 20, 10, 4, 3],
      [25, 24, 5, 1],
      [22, 2],
    ];
    const seen: number[] = [];
    let from = [0, 0, 0];
    for (let guard = 0; guard < 20; guard++) {
      const m = mergeNewestFirst(
        lists.map((l, i) => l.slice(from[i]!, from[i]! + 3)),
        (x) => x,
        3,
      );
      seen.push(...m.items.map((i) => i.item));
      from = from.map((o, i) => o + m.taken[i]!);
      if (m.items.length === 0) break;
    }
    expect(seen).toEqual(lists.flat().sort((x, y) => y - x));
  });

  it("round-trips a cursor for the same regions and refuses any other", () => {
    const c = encodeCursor({ "ap-guangzhou": 20, "ap-shanghai": 3 });
    expect(decodeCursor(c, ["ap-shanghai", "ap-guangzhou"], "query.cursor")).toEqual({ "ap-guangzhou": 20, "ap-shanghai": 3 });
    for (const bad of [
      () => decodeCursor(c, ["ap-guangzhou"], "query.cursor"),
      () => decodeCursor(c, ["ap-guangzhou", "ap-beijing"], "query.cursor"),
      () => decodeCursor("not-a-cursor", ["ap-guangzhou"], "query.cursor"),
      () => decodeCursor(Buffer.from("null").toString("base64url"), ["ap-guangzhou"], "query.cursor"),
      () => decodeCursor(encodeCursor({ "ap-guangzhou": -1 }), ["ap-guangzhou"], "query.cursor"),
      () => decodeCursor(encodeCursor({ "ap-guangzhou": 1.5 }), ["ap-guangzhou"], "query.cursor"),
    ])
      expect(bad).toThrow(expect.objectContaining({ status: 400, issues: [expect.objectContaining({ path: "query.cursor" })] }));
  });
});
