import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NO_BUDGETS, type Budgets } from "../../functions/cost-report/budgets";
import { type ComputeOptions, computeCostReport } from "../../functions/cost-report/compute";
import type { CostInputs } from "../../functions/cost-report/model";
import { buildPriceTable, PriceTableSchema } from "../../shared/prices";
import { DAY0, env, H, inputs, job, SHANGHAI_DAY } from "./inputs";

const NOW = DAY0 + 30 * H; // the morning after the window
const base: ComputeOptions = { window: SHANGHAI_DAY, now: NOW, prices: buildPriceTable(), budgets: NO_BUDGETS };
const run = (i: CostInputs, o: Partial<ComputeOptions> = {}) => computeCostReport(i, { ...base, ...o });

describe("the issue's worked numbers", () => {
  it("3 × BS1.LARGE8 for 24 h = 288 core-hours = 25.92 CNY; 180 busy core-hours leave 108 idle = 9.72 CNY (37.5 %)", () => {
    const e = env("env-aaaaaaaa", "BS1.LARGE8", [
      { id: "node-aaaaaaa1", start: DAY0 - 5 * H },
      { id: "node-aaaaaaa2", start: DAY0 - 5 * H },
      { id: "node-aaaaaaa3", start: DAY0 - 5 * H },
    ]);
    // 24 h + 21 h of tasks on 4-core nodes = 180 core-hours.
    const j = job("job-aaaaaaa1", { submitter: "alice" }, [
      { node: "node-aaaaaaa1", start: DAY0 - H, end: DAY0 + 25 * H },
      { node: "node-aaaaaaa2", start: DAY0 + 3 * H, end: DAY0 + 24 * H },
    ]);
    const r = run(inputs([e], [j]));
    expect(r.totals.coreHours).toBe(288);
    expect(r.totals.nodeHours).toBe(72);
    expect(r.totals.cost).toBe(25.92);
    expect(r.totals.busyCoreHours).toBe(180);
    expect(r.totals.idleCoreHours).toBe(108);
    expect(r.totals.idleCost).toBe(9.72);
    expect(r.totals.idlePercent).toBe(37.5);
    expect(r.partial).toBe(false);
    expect(r.rows).toEqual([expect.objectContaining({ date: "2019-02-20", envId: "env-aaaaaaaa", instanceType: "BS1.LARGE8", cost: 25.92, priced: true })]);
    expect(r.jobs[0]).toMatchObject({ jobId: "job-aaaaaaa1", submitter: "alice", coreHours: 180, cost: 16.2 });
    expect(r.bySubmitter).toEqual([{ key: "submitter", value: "alice", jobs: 1, coreHours: 180, cost: 16.2 }]);
  });

  it("1 × BS1.LARGE48 for 10 h = 21.60 CNY", () => {
    const e = env("env-bbbbbbbb", "BS1.LARGE48", [{ id: "node-bbbbbbb1", start: DAY0 + 8 * H, end: DAY0 + 18 * H }]);
    const r = run(inputs([e]));
    expect(r.totals.coreHours).toBe(240);
    expect(r.totals.cost).toBe(21.6);
  });

  it("a node created mid-window counts from its creation, to the second", () => {
    const e = env("env-cccccccc", "BS1.LARGE8", [{ id: "node-ccccccc1", start: DAY0 + 13.5 * H + 1000 }]);
    const r = run(inputs([e]));
    const hours = (24 * H - 13.5 * H - 1000) / H;
    expect(r.totals.nodeHours).toBeCloseTo(hours, 4);
    expect(r.totals.cost).toBeCloseTo(hours * 0.36, 4);
  });
});

describe("window clipping and lifetimes", () => {
  it("a node destroyed before the run (only activities left) counts up to its destruction", () => {
    const e = env("env-dddddddd", "BS1.LARGE24", [{ id: "node-ddddddd1", start: DAY0 - 48 * H, end: DAY0 + 6 * H }]);
    const r = run(inputs([e]));
    expect(e.nodes).toEqual([]);
    expect(r.totals.nodeHours).toBe(6);
    expect(r.totals.cost).toBe(6.48);
  });

  it("a node alive since before the window is clipped to the window; nothing after `now` is counted", () => {
    const e = env("env-eeeeeeee", "BS1.LARGE8", [{ id: "node-eeeeeee1", start: DAY0 - 100 * H }]);
    expect(run(inputs([e])).totals.nodeHours).toBe(24);
    const early = run(inputs([e]), { now: DAY0 + 10 * H });
    expect(early.totals.nodeHours).toBe(10);
    expect(early.window.countedTo).toBe("2019-02-20T02:00:00Z");
  });

  it("splits a node's hours at local midnight of the report's time zone", () => {
    const twoDays = { from: DAY0, to: DAY0 + 48 * H, timeZone: "Asia/Shanghai" };
    // 22:00 → 02:00 Shanghai time = 14:00 → 18:00 UTC.
    const e = env("env-ffffffff", "BS1.LARGE8", [{ id: "node-fffffff1", start: DAY0 + 22 * H, end: DAY0 + 26 * H }]);
    const sh = run(inputs([e]), { window: twoDays, now: DAY0 + 60 * H });
    expect(sh.rows.map((r) => [r.date, r.nodeHours])).toEqual([
      ["2019-02-20", 2],
      ["2019-02-21", 2],
    ]);
    const utc = run(inputs([e]), { window: { from: DAY0 - 8 * H + 24 * H, to: DAY0 - 8 * H + 48 * H, timeZone: "UTC" }, now: DAY0 + 60 * H });
    expect(utc.rows.map((r) => [r.date, r.nodeHours])).toEqual([["2019-02-20", 4]]);
  });

  it("nodes whose creation failed cost nothing and are counted as failed creations", () => {
    const e = env("env-gggggggg", "BS1.LARGE8", []);
    e.activities.push({ activityId: "a1", nodeId: "node-ggggggg1", instanceId: undefined, type: "CREATE", state: "FAILED", start: DAY0 + H, end: DAY0 + 2 * H, cause: "CVM creation failed" });
    const r = run(inputs([e]));
    expect(r.totals.coreHours).toBe(0);
    expect(r.envs[0]?.nodes.failedCreations).toBe(1);
  });
});

describe("prices", () => {
  it("reports unknown instance types as unpriced, never as free", () => {
    const e = env("env-hhhhhhhh", "SA9.WEIRD", [{ id: "node-hhhhhhh1", start: DAY0 - H }], {});
    e.nodes[0]!.cpu = 2;
    const r = run(inputs([e]));
    expect(r.totals.coreHours).toBe(48);
    expect(r.totals.unpricedCoreHours).toBe(48);
    expect(r.totals.cost).toBe(0);
    expect(r.rows[0]).toMatchObject({ instanceType: "SA9.WEIRD", priced: false });
    expect(r.assumptions.unpricedInstanceTypes).toEqual(["SA9.WEIRD"]);
  });

  it("applies tiers by the hours of the node's life: 0–96 h, 96–360 h, over 360 h", () => {
    const prices = buildPriceTable(
      PriceTableSchema.parse({
        types: { "BS1.LARGE8": { tiers: [{ fromHours: 0, perHour: 0.36 }, { fromHours: 96, perHour: 0.3 }, { fromHours: 360, perHour: 0.25 }] } },
      }),
    );
    // 84 h old at the window's start: 12 h at 0.36, then 12 h at 0.30.
    const young = env("env-iiiiiiii", "BS1.LARGE8", [{ id: "node-iiiiiii1", start: DAY0 - 84 * H }]);
    const r1 = run(inputs([young]), { prices });
    expect(r1.totals.cost).toBe(7.92);
    expect(r1.assumptions.tiersApplied).toBe(true);
    // 400 h old: the whole day at the third tier.
    const old = env("env-jjjjjjjj", "BS1.LARGE8", [{ id: "node-jjjjjjj1", start: DAY0 - 400 * H }]);
    expect(run(inputs([old]), { prices }).totals.cost).toBe(6);
  });

  it("takes a region's override over the type's price", () => {
    const prices = buildPriceTable(PriceTableSchema.parse({ regions: { "ap-guangzhou": { "BS1.LARGE8": { perCoreHour: 0.1 } } } }));
    const e = env("env-kkkkkkkk", "BS1.LARGE8", [{ id: "node-kkkkkkk1", start: DAY0 - H }]);
    expect(run(inputs([e]), { prices }).totals.cost).toBe(9.6);
  });

  it("refuses a price table that breaks a rule, naming the field", () => {
    const bad = PriceTableSchema.safeParse({ types: { "BS1.LARGE8": { tiers: [{ fromHours: 5, perHour: 1 }] } } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path.join(".")).toBe("types.BS1.LARGE8.tiers.0.fromHours");
  });
});

describe("waste, gaps and attribution", () => {
  it("shows the idle core-hours of an ABNORMAL node as waste", () => {
    const e = env("env-llllllll", "BS1.LARGE8", [{ id: "node-lllllll1", start: DAY0 - H, state: "ABNORMAL" }]);
    const r = run(inputs([e]));
    expect(r.totals.wasteCoreHours).toBe(96);
    expect(r.totals.wasteCost).toBe(8.64);
  });

  it("marks the report partial when a node's creation is older than the activities Batch keeps", () => {
    const e = env("env-mmmmmmmm", "BS1.LARGE8", [{ id: "node-mmmmmmm1", start: DAY0 + 2 * H, end: DAY0 + 10 * H, noCreate: true }]);
    const r = run(inputs([e]));
    expect(r.partial).toBe(true);
    expect(r.assumptions.dataGaps.map((g) => g.code)).toContain("activities_truncated");
    // Counted from the oldest activity kept (its DESTROY), a lower bound, never more.
    expect(r.totals.nodeHours).toBeLessThanOrEqual(8);
  });

  it("attributes jobs to any tag, and says when an instance ran outside the envs", () => {
    const e = env("env-nnnnnnnn", "BS1.LARGE8", [{ id: "node-nnnnnnn1", start: DAY0 - H }]);
    const a = job("job-nnnnnnn1", { submitter: "bob", team: "render" }, [{ node: "node-nnnnnnn1", start: DAY0, end: DAY0 + 2 * H }]);
    const b = job("job-nnnnnnn2", { team: "render" }, [
      { node: "node-nnnnnnn1", start: DAY0 + 4 * H, end: DAY0 + 5 * H },
      { node: "node-zzzzzzz9", start: DAY0 + 4 * H, end: DAY0 + 5 * H },
    ]);
    const r = run(inputs([e], [a, b]));
    expect(r.byTag.find((g) => g.key === "team")).toMatchObject({ value: "render", jobs: 2, coreHours: 12 });
    expect(r.bySubmitter.map((g) => g.value).sort()).toEqual(["(untagged)", "bob"]);
    expect(r.jobs.find((j) => j.jobId === "job-nnnnnnn2")?.outsideEnvInstances).toBe(1);
  });
});

describe("month to date, budgets and alerts", () => {
  const since = Date.parse("2019-01-31T16:00:00Z"); // 2019-02-01 00:00 Shanghai
  const e = () => env("env-oooooooo", "BS1.LARGE8", [{ id: "node-ooooooo1", start: since }]);

  it("reports month to date and a run-rate projection", () => {
    const r = run(inputs([e()]));
    expect(r.month).toMatchObject({ month: "2019-02", actualCost: 172.8, projectedCost: 241.92 });
  });

  it("alerts on actual and projected budget thresholds", () => {
    const budgets: Budgets = { total: { monthly: 200 }, envs: { "env-oooooooo": { monthly: 1000 } }, tags: {} };
    const r = run(inputs([e()]), { budgets });
    const total = r.budgets.find((b) => b.scope === "total");
    expect(total?.crossed).toEqual([
      { on: "actual", percent: 80 },
      { on: "projected", percent: 100 },
    ]);
    expect(r.alerts.map((a) => a.kind)).toEqual(["budget.actual", "budget.projected"]);
    expect(r.budgets.find((b) => b.scope === "env")?.crossed).toEqual([]);
  });

  it("alerts when an env has nodes but ran nothing for N hours", () => {
    const busy = job("job-ooooooo1", {}, [{ node: "node-ooooooo1", start: NOW - 2 * H, end: NOW - H }]);
    expect(run(inputs([e()], [busy]), { idleAlertHours: 6 }).alerts).toEqual([]);
    const idle = run(inputs([e()], []), { idleAlertHours: 6 });
    expect(idle.alerts).toEqual([expect.objectContaining({ kind: "cost.idle_env", details: expect.objectContaining({ envId: "env-oooooooo", hours: 6 }) })]);
  });
});

describe("invariants (property tests)", () => {
  const types = ["BS1.LARGE8", "BS1.LARGE24", "BS1.LARGE48", "S5.MEDIUM4", "SA9.WEIRD"] as const;
  const span = 72 * H;
  const nodeArb = fc.record({
    type: fc.constantFrom(...types),
    start: fc.integer({ min: -span, max: span }),
    len: fc.integer({ min: 1, max: span }),
    alive: fc.boolean(),
    abnormal: fc.boolean(),
    runs: fc.array(fc.record({ at: fc.integer({ min: -span, max: 2 * span }), len: fc.integer({ min: 1, max: 30 * H }) }), { maxLength: 4 }),
  });
  const tiered = buildPriceTable(
    PriceTableSchema.parse({ types: { "BS1.LARGE8": { tiers: [{ fromHours: 0, perHour: 0.36 }, { fromHours: 96, perHour: 0.3 }, { fromHours: 360, perHour: 0.25 }] } } }),
  );
  type NodeArb = typeof nodeArb extends fc.Arbitrary<infer T> ? T : never;
  const build = (nodes: NodeArb[]) => {
    const envs = nodes.map((n, i) => {
      const id = `node-${String(i).padStart(8, "0")}`;
      const start = DAY0 + Math.round(n.start / 1000) * 1000;
      const end = n.alive ? undefined : start + Math.round(n.len / 1000) * 1000;
      const e = env(`env-${String(i).padStart(8, "0")}`, n.type, [{ id, start, ...(end !== undefined ? { end } : {}), state: n.abnormal ? "ABNORMAL" : "RUNNING" }]);
      if (n.type === "SA9.WEIRD") for (const c of e.nodes) c.cpu = 3;
      return e;
    });
    const jobs = nodes.map((n, i) =>
      job(
        `job-${String(i).padStart(8, "0")}`,
        { submitter: `u${i % 3}` },
        n.runs.map((r) => ({ node: `node-${String(i).padStart(8, "0")}`, start: DAY0 + r.at, end: DAY0 + r.at + r.len })),
      ),
    );
    return inputs(envs, jobs);
  };
  const now = DAY0 + 10 * 24 * H;
  const wide = { from: DAY0 - 24 * H, to: DAY0 + 72 * H, timeZone: "Asia/Shanghai" };

  it("cost is additive over sub-windows", () => {
    fc.assert(
      fc.property(fc.array(nodeArb, { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 95 }), (nodes, cutH) => {
        const i = build(nodes);
        const cut = wide.from + cutH * H;
        for (const prices of [buildPriceTable(), tiered]) {
          const whole = run(i, { window: wide, now, prices }).totals;
          const a = run(i, { window: { ...wide, to: cut }, now, prices }).totals;
          const b = run(i, { window: { ...wide, from: cut }, now, prices }).totals;
          expect(a.cost + b.cost).toBeCloseTo(whole.cost, 2);
          expect(a.coreHours + b.coreHours).toBeCloseTo(whole.coreHours, 2);
          expect(a.busyCoreHours + b.busyCoreHours).toBeCloseTo(whole.busyCoreHours, 2);
          expect(a.idleCost + b.idleCost).toBeCloseTo(whole.idleCost, 2);
        }
      }),
      { numRuns: 60 },
    );
  });

  it("is never negative, and idle + busy = provisioned, per row and in total", () => {
    fc.assert(
      fc.property(fc.array(nodeArb, { minLength: 1, maxLength: 6 }), (nodes) => {
        const r = run(build(nodes), { window: wide, now, prices: tiered });
        for (const s of [r.totals, ...r.rows, ...r.envs.map((e) => e.summary)]) {
          for (const v of Object.values(s)) if (typeof v === "number") expect(v).toBeGreaterThanOrEqual(0);
          expect(s.idleCoreHours + s.busyCoreHours).toBeCloseTo(s.coreHours, 3);
          expect(s.idleCost + s.busyCost).toBeCloseTo(s.cost, 3);
          expect(s.wasteCoreHours).toBeLessThanOrEqual(s.idleCoreHours + 1e-3);
        }
        for (const j of r.jobs) expect(j.cost).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 80 },
    );
  });
});

describe("several regions", () => {
  const gz = env("env-gggggggg", "BS1.LARGE8", [{ id: "node-ggggggg1", start: DAY0 - H }]);
  const sh = env("env-ssssssss", "BS1.LARGE8", [{ id: "node-sssssss1", start: DAY0 - H }], { zone: "ap-shanghai-1", region: "ap-shanghai" });
  const prices = buildPriceTable(PriceTableSchema.parse({ regions: { "ap-shanghai": { "BS1.LARGE8": { perHour: 0.18 } } } }));

  it("sums each region exactly (the regions add up to the totals), at its own price, served regions first", () => {
    const r = run({ ...inputs([sh, gz]), regions: ["ap-guangzhou", "ap-shanghai", "ap-beijing"] }, { prices });
    expect(r.regions.map((x) => [x.region, x.envs, x.summary.cost, x.read, x.partial])).toEqual([
      ["ap-guangzhou", 1, 8.64, true, false],
      ["ap-shanghai", 1, 4.32, true, false],
      ["ap-beijing", 0, 0, true, false],
    ]);
    expect(r.totals.cost).toBe(12.96);
  });

  it("marks a region partial when a window gap names it or one of its envs, and unread when it could not be listed", () => {
    const gaps = [
      { code: "activities_unreadable", envId: "env-ssssssss", message: "x", scope: "window" as const },
      { code: "region_unreadable", region: "ap-beijing", message: "y", scope: "window" as const },
    ];
    const r = run({ ...inputs([gz, sh]), gaps, regions: ["ap-guangzhou", "ap-shanghai", "ap-beijing"] });
    expect(r.partial).toBe(true);
    expect(r.regions.map((x) => [x.region, x.read, x.partial])).toEqual([
      ["ap-guangzhou", true, false],
      ["ap-shanghai", true, true],
      ["ap-beijing", false, true],
    ]);
  });

  it("checks region budgets on the region's envs; one for a region not read, or not served, is a gap", () => {
    const budgets: Budgets = { envs: {}, tags: {}, regions: { "ap-shanghai": { monthly: 1 }, "ap-beijing": { monthly: 1 }, "ap-chengdu": { monthly: 1 } } };
    const gaps = [{ code: "region_unreadable", region: "ap-beijing", message: "y", scope: "window" as const }];
    const r = run({ ...inputs([gz, sh]), gaps, regions: ["ap-guangzhou", "ap-shanghai", "ap-beijing"] }, { prices, budgets });
    expect(r.budgets.map((b) => [b.scope, b.name])).toEqual([["region", "ap-shanghai"]]);
    expect(r.budgets[0]!.actual).toBe(r.regions[1]!.month.actualCost);
    expect(r.assumptions.dataGaps.map((g) => [g.code, g.region])).toEqual(
      expect.arrayContaining([
        ["budget_region_unread", "ap-beijing"],
        ["budget_region_unknown", "ap-chengdu"],
      ]),
    );
  });
});
