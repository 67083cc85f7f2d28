// The cost core's steps one at a time (computeCostReport is their sequence; compute.test.ts
// checks the whole). Inputs are built as the collector would build them (./inputs).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { daySums, envSections, envSums } from "../../functions/cost-report/aggregate";
import { groupJobs, jobCosts } from "../../functions/cost-report/attribution";
import { checkBudgets, idleEnvs, outsideEnvGaps } from "../../functions/cost-report/checks";
import type { EnvInput, JobReport } from "../../functions/cost-report/model";
import { monthReport, projector } from "../../functions/cost-report/month";
import { type Interval, lifetimesOf, mergeIntervals, placeInstances, priceNodes } from "../../functions/cost-report/nodes";
import { summarize } from "../../functions/cost-report/sums";
import { reportSpan } from "../../functions/cost-report/window";
import { buildPriceTable, PriceTableSchema } from "../../shared/prices";
import { DAY0, env, H, job, SHANGHAI_DAY } from "./inputs";

const NOW = DAY0 + 30 * H;
const span = reportSpan(SHANGHAI_DAY, NOW);
const prices = buildPriceTable();

/** Steps 1–3 over `envs` and `jobs`, as computeCostReport runs them. */
function nodesOf(envs: EnvInput[], jobs: ReturnType<typeof job>[] = [], s = span) {
  const lifetimes = lifetimesOf(envs, s.now, { windowFrom: s.window.from, windowTo: s.window.to, monthFrom: s.month.from });
  const priced = priceNodes(lifetimes.lives, envs, prices);
  return { lifetimes, priced, ...placeInstances(priced.nodes, jobs, s.now) };
}

describe("reportSpan", () => {
  it.each([
    ["a day that has ended", NOW, SHANGHAI_DAY.to, "2019-02", 1],
    ["a day still running: counted up to now", DAY0 + 10 * H + 999, DAY0 + 10 * H, "2019-02", 1],
    ["a day not begun: nothing counted", DAY0 - H, DAY0, "2019-02", 1],
  ])("%s", (_, now, countedTo, month, days) => {
    const s = reportSpan(SHANGHAI_DAY, now);
    expect(s.countedTo).toBe(countedTo);
    expect(s.now % 1000).toBe(0);
    expect(s.month.month).toBe(month);
    expect(s.mtdTo).toBe(Math.max(s.month.from, countedTo));
    expect(s.days).toHaveLength(days);
  });
});

describe("step 1, lifetimesOf", () => {
  it("keeps env order and counts failed creations per env", () => {
    const a = env("env-aaaaaaaa", "BS1.LARGE8", [{ id: "node-aaaaaaa1", start: DAY0 - H }]);
    const b = env("env-bbbbbbbb", "BS1.LARGE24", [{ id: "node-bbbbbbb1", start: DAY0 + H, end: DAY0 + 2 * H }]);
    b.activities.push({ activityId: "f", nodeId: "node-bbbbbbb2", instanceId: undefined, type: "CREATE", state: "FAILED", start: DAY0, end: DAY0, cause: "" });
    const { lives, failedCreations, gaps } = nodesOf([a, b]).lifetimes;
    expect(lives.map((l) => [l.envId, l.cores, l.aliveNow])).toEqual([
      ["env-aaaaaaaa", 4, true],
      ["env-bbbbbbbb", 12, false],
    ]);
    expect([...failedCreations]).toEqual([
      ["env-aaaaaaaa", 0],
      ["env-bbbbbbbb", 1],
    ]);
    expect(gaps).toEqual([]);
  });
});

describe("step 1, failed creations and nodes without a resource", () => {
  it("counts a failed creation once, bills nothing for it, and skips a listed node with no resource yet", () => {
    const e = env("env-cccccccc", "BS1.LARGE8", [{ id: "node-ccccccc1", start: DAY0, noCreate: true }]);
    const listed = (nodeId: string, state: string, createdAt?: number) => ({ nodeId, instanceId: `ins-${nodeId.slice(5)}`, state, cpu: 4, memGiB: 8, createdAt });
    e.nodes.push(
      listed("node-ccccccc2", "CREATION_FAILED"),
      listed("node-ccccccc3", "CREATION_FAILED", DAY0 + H),
      listed("node-ccccccc4", "PENDING"),
      listed("node-ccccccc5", "SUBMITTED"),
      listed("node-ccccccc6", "PENDING", DAY0 + 2 * H),
    );
    // Not listed, its creation failed; and a listed node whose CREATE activity says FAILED (it lives).
    e.activities.push(
      { activityId: "f7", nodeId: "node-ccccccc7", instanceId: undefined, type: "CREATE", state: "FAILED", start: DAY0, end: DAY0, cause: "" },
      { activityId: "f1", nodeId: "node-ccccccc1", instanceId: undefined, type: "CREATE", state: "FAILED", start: DAY0 - H, end: DAY0 - H, cause: "" },
    );
    const { lives, failedCreations } = nodesOf([e]).lifetimes;
    expect(lives.map((l) => [l.nodeId, l.start, l.unhealthy])).toEqual([
      ["node-ccccccc1", DAY0, true],
      ["node-ccccccc6", DAY0 + 2 * H, false],
    ]);
    expect(failedCreations.get("env-cccccccc")).toBe(3);
  });
});

describe("step 2, priceNodes", () => {
  const tiered = buildPriceTable(
    PriceTableSchema.parse({
      types: { "BS1.LARGE8": { tiers: [{ fromHours: 0, perHour: 0.36 }, { fromHours: 96, perHour: 0.3 }] } },
      regions: { "ap-guangzhou": { "BS1.LARGE24": { perCoreHour: 0.1 } } },
    }),
  );
  it.each([
    ["BS1.LARGE8", prices, 0.36, false],
    ["BS1.LARGE48", prices, 2.16, false],
    ["BS1.LARGE8", tiered, 0.36, true],
    ["BS1.LARGE24", tiered, 1.2, false], // the region's per-core price × 12 cores
  ] as const)("%s at %s", (type, table, perHour, tiersApplied) => {
    const lives = lifetimesOf([env("env-cccccccc", type, [{ id: "node-ccccccc1", start: DAY0 }])], NOW, { windowFrom: DAY0, windowTo: DAY0, monthFrom: DAY0 }).lives;
    const r = priceNodes(lives, [env("env-cccccccc", type, [])], table);
    expect(r.nodes[0]?.rate?.tiers[0]?.perHour).toBeCloseTo(perHour, 10);
    expect(r.tiersApplied).toBe(tiersApplied);
    expect(r.unpricedTypes).toEqual([]);
  });

  it("names each unpriced type once, sorted; a node without cores is not one", () => {
    const lives = ["SA9.B", "SA9.A", "SA9.B"].map((t, i) => ({ envId: "e", nodeId: `n${i}`, instanceId: undefined, instanceType: t, cores: 2, start: 0, end: H, aliveNow: false, unhealthy: false }));
    lives.push({ ...lives[0]!, instanceType: "unknown", cores: 0 });
    const r = priceNodes(lives, [], prices);
    expect(r.unpricedTypes).toEqual(["SA9.A", "SA9.B"]);
    expect(r.nodes.map((n) => n.rate)).toEqual([undefined, undefined, undefined, undefined]);
  });
});

describe("step 3, placeInstances and mergeIntervals", () => {
  it.each<[string, Interval[], Interval[]]>([
    ["empty", [], []],
    ["one", [[1, 2]], [[1, 2]]],
    ["overlapping, out of order", [[5, 9], [1, 6]], [[1, 9]]],
    ["touching", [[1, 2], [2, 3]], [[1, 3]]],
    ["nested and apart", [[1, 10], [2, 3], [11, 12]], [[1, 10], [11, 12]]],
  ])("merges intervals: %s", (_, list, merged) => {
    expect(mergeIntervals(list.map(([a, b]) => [a, b]))).toEqual(merged);
  });

  it("merged intervals are sorted, apart, and cover exactly the same instants", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 20 })), { maxLength: 12 }), (raw) => {
        const list: Interval[] = raw.map(([s, len]) => [s, s + len]);
        const covered = (ivs: Interval[], t: number) => ivs.some(([a, b]) => a <= t && t < b);
        const merged = mergeIntervals(list.map(([a, b]) => [a, b]));
        for (let i = 1; i < merged.length; i++) expect(merged[i]![0]).toBeGreaterThan(merged[i - 1]![1]);
        for (let t = 0; t <= 80; t++) expect(covered(merged, t)).toBe(covered(list, t));
      }),
    );
  });

  it("places instances on their node, clipped to its life and to now; running ones count to now", () => {
    const e = env("env-dddddddd", "BS1.LARGE8", [{ id: "node-ddddddd1", start: DAY0 }]);
    const j = job("job-ddddddd1", {}, [
      { node: "node-ddddddd1", start: DAY0 - H, end: DAY0 + H }, // before the node: clipped to its start
      { node: "node-ddddddd1", start: DAY0 + 29 * H }, // RUNNING: up to now
      { node: "node-ddddddd1", start: DAY0 + 2 * H, state: "SUCCEED" }, // no end and not running: nothing
      { node: "node-zzzzzzz9", start: DAY0, end: DAY0 + H }, // outside the envs
    ]);
    const { nodes, placements, priced } = nodesOf([e], [j]);
    expect(nodes[0]?.busy).toEqual([
      [DAY0, DAY0 + H],
      [DAY0 + 29 * H, NOW],
    ]);
    expect(placements.get("job-ddddddd1")?.map((p) => [p.node?.life.nodeId, p.start, p.end])).toEqual([
      ["node-ddddddd1", DAY0 - H, DAY0 + H],
      ["node-ddddddd1", DAY0 + 29 * H, NOW],
      [undefined, DAY0, DAY0 + H],
    ]);
    // Pure: the priced nodes it was given are left as they were.
    expect(priced.nodes[0]).not.toHaveProperty("busy");
  });
});

describe("step 4, daySums, envSums and envSections", () => {
  it("splits a node at local midnight and leaves out days it did not live", () => {
    const twoDays = reportSpan({ ...SHANGHAI_DAY, to: DAY0 + 72 * H }, DAY0 + 80 * H);
    const e = env("env-eeeeeeee", "BS1.LARGE8", [{ id: "node-eeeeeee1", start: DAY0 + 20 * H, end: DAY0 + 30 * H }]);
    const { nodes } = nodesOf([e], [], twoDays);
    const { rows, envDays } = daySums(nodes, [e], twoDays);
    expect(rows.map((r) => [r.date, r.nodeHours, r.cost])).toEqual([
      ["2019-02-20", 4, 1.44],
      ["2019-02-21", 6, 2.16],
    ]);
    expect([...(envDays.get("env-eeeeeeee")?.keys() ?? [])]).toEqual(["2019-02-20", "2019-02-21"]);
  });

  const nodeArb = fc.record({
    envIdx: fc.integer({ min: 0, max: 2 }),
    type: fc.constantFrom("BS1.LARGE8", "BS1.LARGE24", "SA9.WEIRD"),
    start: fc.integer({ min: -48, max: 40 }),
    hours: fc.integer({ min: 1, max: 60 }),
    alive: fc.boolean(),
    runs: fc.array(fc.record({ at: fc.integer({ min: -10, max: 40 }), len: fc.integer({ min: 1, max: 20 }) }), { maxLength: 3 }),
  });

  it("per env, busy + idle = core-hours, and the envs add up to the totals and to their days", () => {
    fc.assert(
      fc.property(fc.array(nodeArb, { minLength: 1, maxLength: 8 }), (specs) => {
        const envs = [0, 1, 2].map((k) => env(`env-0000000${k}`, "BS1.LARGE8", [], { instanceTypes: [] }));
        const jobs = specs.map((n, i) => {
          const id = `node-${String(i).padStart(8, "0")}`;
          const start = DAY0 + n.start * H;
          const one = env("env-x", n.type, [{ id, start, ...(n.alive ? {} : { end: start + n.hours * H }) }]);
          if (n.type === "SA9.WEIRD") for (const c of one.nodes) c.cpu = 2;
          const target = envs[n.envIdx]!;
          target.nodes.push(...one.nodes);
          target.activities.push(...one.activities);
          if (!target.instanceTypes.includes(n.type)) target.instanceTypes.push(n.type);
          return job(`job-${String(i).padStart(8, "0")}`, {}, n.runs.map((r) => ({ node: id, start: DAY0 + r.at * H, end: DAY0 + (r.at + r.len) * H })));
        });
        const { nodes, lifetimes } = nodesOf(envs, jobs);
        const days = daySums(nodes, envs, span);
        const sums = envSums(nodes, span);
        const { envs: sections, totals } = envSections(envs, nodes, sums.window, days.envDays, lifetimes.failedCreations, span);
        const total = summarize(totals);
        let cost = 0;
        let coreHours = 0;
        for (const s of sections) {
          const { summary } = s;
          expect(summary.busyCoreHours + summary.idleCoreHours).toBeCloseTo(summary.coreHours, 3);
          expect(summary.busyCoreHours).toBeLessThanOrEqual(summary.coreHours + 1e-3);
          expect(s.days.reduce((n, d) => n + d.coreHours, 0)).toBeCloseTo(summary.coreHours, 3);
          cost += summary.cost;
          coreHours += summary.coreHours;
        }
        expect(cost).toBeCloseTo(total.cost, 3);
        expect(coreHours).toBeCloseTo(total.coreHours, 3);
        expect(days.rows.reduce((n, r) => n + r.coreHours, 0)).toBeCloseTo(total.coreHours, 2);
        // Costliest first.
        for (let i = 1; i < sections.length; i++) expect(sections[i]!.summary.cost).toBeLessThanOrEqual(sections[i - 1]!.summary.cost);
      }),
      { numRuns: 60 },
    );
  });
});

describe("step 5, jobCosts and groupJobs", () => {
  it("credits a job with its instances' core-hours and cost in the window, and tags with the month's", () => {
    const e = env("env-ffffffff", "BS1.LARGE8", [{ id: "node-fffffff1", start: DAY0 - 48 * H }]);
    const j = job("job-fffffff1", { submitter: "ann", team: "x" }, [
      { node: "node-fffffff1", start: DAY0 - 2 * H, end: DAY0 + 2 * H }, // half in the window
      { node: "node-zzzzzzz9", start: DAY0, end: DAY0 + H }, // outside the envs
    ]);
    const quiet = job("job-fffffff2", {}, [{ node: "node-fffffff1", start: DAY0 - 10 * H, end: DAY0 - 9 * H }]);
    const { placements } = nodesOf([e], [j, quiet]);
    const { jobs, monthByTag } = jobCosts([j, quiet], placements, span);
    expect(jobs).toEqual([
      expect.objectContaining({ jobId: "job-fffffff1", submitter: "ann", instances: 1, coreHours: 8, cost: 0.72, outsideEnvInstances: 1, envIds: ["env-ffffffff"] }),
    ]);
    // Month to date (from 2019-02-01): the 4 h before and in the window, 4 cores at 0.09.
    expect(monthByTag.get("team=x")).toBeCloseTo(1.44, 10);
    expect(outsideEnvGaps(jobs)).toEqual([expect.objectContaining({ code: "instances_outside_envs", scope: "month" })]);
    expect(outsideEnvGaps([])).toEqual([]);
  });

  it("groups jobs by what keyOf names, costliest first, counting each job once per key", () => {
    const j = (jobId: string, cost: number, tags: Array<{ key: string; value: string }>): JobReport => ({
      jobId,
      jobName: "",
      submitter: tags.find((t) => t.key === "submitter")?.value ?? "(untagged)",
      tags,
      envIds: [],
      instances: 1,
      coreHours: cost * 10,
      cost,
      unpricedCoreHours: 0,
      outsideEnvInstances: 0,
    });
    const jobs = [j("a", 1, [{ key: "team", value: "x" }]), j("b", 2.5, [{ key: "team", value: "x" }, { key: "team", value: "y" }]), j("c", 3, [])];
    expect(groupJobs(jobs, (x) => x.tags)).toEqual([
      { key: "team", value: "x", jobs: 2, coreHours: 35, cost: 3.5 },
      { key: "team", value: "y", jobs: 1, coreHours: 25, cost: 2.5 },
    ]);
    expect(groupJobs(jobs, (x) => [{ key: "submitter", value: x.submitter }])).toEqual([{ key: "submitter", value: "(untagged)", jobs: 3, coreHours: 65, cost: 6.5 }]);
  });
});

describe("step 6, the month", () => {
  it.each([
    // February 2019 has 28 days; the window ends on the 20th at 24:00 (20 days in).
    ["20 of 28 days elapsed", NOW, 100, 140],
    ["no time elapsed: the projection is the actual", Date.parse("2019-01-31T16:00:00Z"), 100, 100],
  ])("projects %s", (_, now, actual, projected) => {
    const s = reportSpan(now < DAY0 ? { from: now, to: now + 24 * H, timeZone: "Asia/Shanghai" } : SHANGHAI_DAY, now);
    expect(projector(s)(actual)).toBeCloseTo(projected, 10);
  });

  it("reports per env and, when jobs cover the month, per tag", () => {
    const byEnv = new Map([["env-gggggggg", { ...summarizeFree(), cost: 20 }]]);
    const envs = [env("env-gggggggg", "BS1.LARGE8", []), env("env-hhhhhhhh", "BS1.LARGE8", [])];
    const byTag = new Map([["team=x", 10]]);
    const covered = monthReport(envs, { byEnv, byTag, tagsCovered: true }, span);
    expect(covered).toMatchObject({ month: "2019-02", from: "2019-01-31T16:00:00Z", actualCost: 20, projectedCost: 28 });
    expect(covered.byEnv.map((e) => [e.envId, e.actualCost])).toEqual([
      ["env-gggggggg", 20],
      ["env-hhhhhhhh", 0],
    ]);
    expect(covered.byTag).toEqual([{ key: "team", value: "x", actualCost: 10, projectedCost: 14 }]);
    expect(monthReport(envs, { byEnv, byTag, tagsCovered: false }, span).byTag).toEqual([]);
  });
});

/** An empty sum. */
const summarizeFree = () => ({ nodeSec: 0, coreSec: 0, busyCoreSec: 0, wasteCoreSec: 0, unpricedCoreSec: 0, cost: 0, busyCost: 0, wasteCost: 0 });

describe("step 7, budgets and idle envs", () => {
  const envs = [env("env-iiiiiiii", "BS1.LARGE8", [])];
  const costs = (envCost: number, tagCost: number, tagsCovered = true) => ({
    byEnv: new Map([["env-iiiiiiii", { ...summarizeFree(), cost: envCost }]]),
    byTag: new Map([["team=x", tagCost]]),
    tagsCovered,
  });

  it.each([
    // actual, projected (× 1.4): which default thresholds (actual 80/100 %, projected 100 %) are crossed of 100.
    [50, [], []],
    [72, ["projected 100"], ["budget.projected"]],
    [80, ["actual 80", "projected 100"], ["budget.actual", "budget.projected"]],
    [100, ["actual 80", "actual 100", "projected 100"], ["budget.actual", "budget.actual", "budget.projected"]],
  ])("a total of %s against 100 a month crosses %j", (actual, crossed, kinds) => {
    const r = checkBudgets({ total: { monthly: 100 }, envs: {}, tags: {} }, envs, costs(actual, 0), span, "CNY");
    expect(r.budgets[0]?.crossed.map((t) => `${t.on} ${t.percent}`)).toEqual(crossed);
    expect(r.alerts.map((a) => a.kind)).toEqual(kinds);
    expect(r.gaps).toEqual([]);
  });

  it("finds env budgets by id or name, and says which budgets it could not judge", () => {
    const budgets = { envs: { "env-iiiiiiii-name": { monthly: 10 }, "env-nope": { monthly: 10 } }, tags: { "team=x": { monthly: 1 } } };
    const r = checkBudgets(budgets, envs, costs(5, 2), span, "CNY");
    expect(r.budgets.map((b) => [b.scope, b.name, b.actual])).toEqual([
      ["env", "env-iiiiiiii-name", 5],
      ["tag", "team=x", 2],
    ]);
    expect(r.alerts[0]?.summary).toBe("tag budget team=x: actual 2 CNY is at or over 80% of 1 CNY for 2019-02");
    expect(r.gaps.map((g) => g.code)).toEqual(["budget_env_unknown"]);
    expect(checkBudgets(budgets, envs, costs(5, 2, false), span, "CNY").gaps.map((g) => g.code)).toEqual(["budget_env_unknown", "budget_tags_uncovered"]);
  });

  it.each([
    ["off", 0, DAY0, 0, 0],
    ["jobs not read far enough back: a gap, no alert", 6, NOW - H, 0, 1],
    ["a node alive for 6 h that ran nothing: an alert", 6, DAY0, 1, 0],
    ["a node younger than 6 h: no alert", 6, DAY0, 0, 0, NOW - 2 * H],
  ])("idle envs: %s", (_, hours, jobsFrom, alerts, gaps, nodeStart = DAY0 - H) => {
    const e = env("env-jjjjjjjj", "BS1.LARGE8", [{ id: "node-jjjjjjj1", start: nodeStart }]);
    const { nodes } = nodesOf([e]);
    const r = idleEnvs([e], nodes, hours, NOW, jobsFrom);
    expect(r.alerts).toHaveLength(alerts);
    expect(r.gaps).toHaveLength(gaps);
  });
});
