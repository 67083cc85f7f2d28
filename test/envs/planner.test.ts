import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildPriceTable } from "../../shared/prices";
import { planScale, type PlanInput, scaleDownOrder } from "../../functions/envs/planner";
import { type Activity, type ComputeEnv, ComputeEnvSchema, type ComputeNode } from "../../shared/batch/models";
import { DEFAULT_RULE, type EnvRule } from "../../shared/env-policy";

const NOW = Date.parse("2026-11-27T12:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

let seq = 0;
function node(state: string, opts: { busy?: boolean; ageMin?: number; cpu?: number } = {}): ComputeNode {
  seq++;
  return {
    ComputeNodeId: `node-${String(seq).padStart(8, "0")}`,
    ComputeNodeInstanceId: `ins-${String(seq).padStart(8, "0")}`,
    ComputeNodeState: state,
    Cpu: opts.cpu ?? 4,
    Mem: 8,
    ResourceCreatedTime: iso(NOW - (opts.ageMin ?? 30) * 60_000),
    TaskInstanceNumAvailable: opts.busy ? 0 : 1,
  };
}

/** A DescribeComputeEnv reply as the emulator gives it, with the nodes and desired count under test. */
function env(nodes: ComputeNode[], desired = nodes.filter((n) => n.ComputeNodeState !== "DELETING" && n.ComputeNodeState !== "CREATION_FAILED").length, over: Partial<ComputeEnv> = {}): ComputeEnv {
  return ComputeEnvSchema.parse({
    EnvId: "env-abcdefgh",
    EnvName: "render",
    Placement: { Zone: "ap-guangzhou-2" },
    CreateTime: iso(NOW - 86_400_000),
    ComputeNodeSet: nodes,
    ComputeNodeMetrics: {},
    DesiredComputeNodeCount: desired,
    EnvType: "MANAGED",
    ResourceType: "CVM",
    NextAction: null,
    Tags: [],
    RequestId: "8f4d9fed-0000-4000-8000-000000000000",
    ...over,
  });
}

const activity = (minutesAgo: number, type = "CREATE"): Activity => ({
  ActivityId: `activity-${minutesAgo}`,
  ComputeNodeId: "node-00000001",
  ComputeNodeActivityType: type,
  EnvId: "env-abcdefgh",
  Cause: "Desired compute node count not met",
  ActivityState: "SUCCEED",
  StartTime: iso(NOW - minutesAgo * 60_000),
  EndTime: iso(NOW - minutesAgo * 60_000 + 30_000),
});

const prices = buildPriceTable();
function input(e: ComputeEnv, target: PlanInput["target"], rule: Partial<EnvRule> = {}, over: Partial<PlanInput> = {}): PlanInput {
  return {
    env: e,
    rule: { ...DEFAULT_RULE, cooldownSeconds: 300, ...rule },
    activities: [activity(60)],
    target,
    callerMayScale: true,
    pricing: { prices, region: "ap-guangzhou", instanceTypes: ["BS1.LARGE8"], now: NOW },
    now: NOW,
    ...over,
  };
}

describe("planScale: refusals name the rule", () => {
  const e = env([node("RUNNING"), node("RUNNING")]);
  const cases: Array<[string, PlanInput, number, string]> = [
    ["scaling disabled", input(e, { desired: 3 }, { allowScaling: false }), 422, "allowScaling"],
    ["caller lacks the scope", input(e, { desired: 3 }, {}, { callerMayScale: false }), 403, "scaleScopes"],
    ["above maxNodes", input(e, { desired: 6 }, { maxNodes: 5 }), 422, "maxNodes"],
    ["delta above maxNodes", input(e, { delta: 4 }, { maxNodes: 5 }), 422, "maxNodes"],
    ["below minNodes", input(e, { desired: 0 }, { minNodes: 1 }), 422, "minNodes"],
    ["negative through delta", input(e, { delta: -3 }), 422, "minNodes"],
    ["above maxCores", input(e, { desired: 3 }, { maxCores: 11 }), 422, "maxCores"],
    ["over Batch's 2000", input(e, { desired: 2001 }, { maxNodes: 2000 }), 422, "DesiredComputeNodeCount"],
    ["inside the cooldown", input(e, { desired: 3 }, {}, { activities: [activity(60), activity(2)] }), 422, "cooldownSeconds"],
    ["env being deleted", input(env([node("DELETING")], 0, { NextAction: "DELETING" }), { desired: 1 }), 409, "state"],
    ["nodes still starting", input(env([node("RUNNING"), node("CREATING"), node("SUBMITTED")]), { desired: 0 }), 409, "destroyableNodes"],
    // The cooldown is checked before destroyable nodes (as documented): a shrink while nodes are still starting
    // inside the cooldown says when to come back (422 + Retry-After), not "retry once they run".
    ["nodes still starting, inside the cooldown", input(env([node("RUNNING"), node("CREATING"), node("SUBMITTED")]), { desired: 0 }, {}, { activities: [activity(2)] }), 422, "cooldownSeconds"],
  ];
  it.each(cases)("%s", (_name, i, status, rule) => {
    const r = planScale(i);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect([r.refusal.status, r.refusal.rule]).toEqual([status, rule]);
    expect(r.refusal.message).toContain(rule === "state" || rule === "destroyableNodes" ? "env-abcdefgh" : rule);
  });

  it("counts new nodes at the largest of the env's instance types for maxCores (Batch may fall back to it)", () => {
    const e2 = env([node("RUNNING"), node("RUNNING")]);
    const types = (instanceTypes: string[]) => ({ pricing: { prices, region: "ap-guangzhou", instanceTypes, now: NOW } });
    // 2 × 4 cores kept + one new node: 12 cores as BS1.LARGE8, but 32 if Batch falls back to BS1.LARGE48.
    const r = planScale(input(e2, { desired: 3 }, { maxCores: 20 }, types(["BS1.LARGE8", "BS1.LARGE48"])));
    expect(r.ok ? "planned" : [r.refusal.rule, r.refusal.message]).toEqual(["maxCores", expect.stringMatching(/32 cores .*BS1\.LARGE48/)]);
    expect(planScale(input(e2, { desired: 3 }, { maxCores: 20 }, types(["BS1.LARGE8"]))).ok).toBe(true);
    // Any type whose cores are unknown makes the limit uncheckable: refused, naming the type.
    const u = planScale(input(e2, { desired: 3 }, { maxCores: 1000 }, types(["BS1.LARGE8", "X9.HUGE64"])));
    expect(u.ok ? "planned" : [u.refusal.rule, u.refusal.message]).toEqual(["maxCores", expect.stringContaining("X9.HUGE64")]);
    // Without a maxCores limit an unknown type does not matter.
    expect(planScale(input(e2, { desired: 3 }, {}, types(["BS1.LARGE8", "X9.HUGE64"]))).ok).toBe(true);
  });

  it("says how long the cooldown still runs", () => {
    const r = planScale(input(env([node("RUNNING")]), { desired: 2 }, { cooldownSeconds: 300 }, { activities: [activity(2)] }));
    expect(r.ok ? undefined : r.refusal.retryAfterSeconds).toBe(180);
  });

  it("bounds apply in the direction of the change: an env above maxNodes may still shrink", () => {
    const r = planScale(input(env([node("RUNNING"), node("RUNNING"), node("RUNNING")]), { desired: 2 }, { maxNodes: 1 }));
    expect(r.ok && r.plan.DesiredComputeNodeCount).toBe(2);
  });

  it("an unchanged target is no action: no cooldown, no refusal", () => {
    const r = planScale(input(env([node("RUNNING")]), { delta: 0 }, {}, { activities: [activity(0)] }));
    expect(r.ok && r.plan.Direction).toBe("none");
  });
});

describe("planScale: plans", () => {
  it("scale-up: cost and cores before and after at the configured prices", () => {
    const r = planScale(input(env([node("RUNNING"), node("RUNNING")]), { desired: 5 }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.plan).toMatchObject({
      PreviousDesiredComputeNodeCount: 2,
      DesiredComputeNodeCount: 5,
      Direction: "up",
      TerminateNodes: [],
      Before: { DesiredComputeNodeCount: 2, Nodes: 2, Cores: 8, CostPerHour: 0.72 },
      After: { DesiredComputeNodeCount: 5, Nodes: 5, Cores: 20, CostPerHour: 1.8 },
    });
  });

  it("scale-down picks idle nodes first: abnormal, then not yet running, then idle running, newest first", () => {
    const busyOld = node("RUNNING", { busy: true, ageMin: 90 });
    const idleOld = node("RUNNING", { ageMin: 80 });
    const idleNew = node("RUNNING", { ageMin: 5 });
    const created = node("CREATED", { ageMin: 2 });
    const abnormal = node("ABNORMAL", { ageMin: 60 });
    const e = env([busyOld, idleOld, idleNew, created, abnormal]);
    const r = planScale(input(e, { desired: 2 }));
    expect(r.ok && r.plan.TerminateNodes).toEqual([abnormal.ComputeNodeId, created.ComputeNodeId, idleNew.ComputeNodeId]);
    expect(r.ok && r.plan.BusyNodes).toEqual([]);
    expect(r.ok && r.plan.After).toMatchObject({ Nodes: 2, Cores: 8, CostPerHour: 0.72 });
  });

  it("takes busy nodes only when too few idle ones remain, and warns", () => {
    const busy = [node("RUNNING", { busy: true }), node("RUNNING", { busy: true })];
    const idle = node("RUNNING");
    const r = planScale(input(env([...busy, idle]), { desired: 1 }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.plan.TerminateNodes[0]).toBe(idle.ComputeNodeId);
    expect(r.plan.BusyNodes).toHaveLength(1);
    expect(r.plan.Warnings.map((w) => w.message).join(" ")).toMatch(/busy node/);
  });

  it("an unmet desired count shrinks without terminating anything", () => {
    const r = planScale(input(env([node("RUNNING")], 5), { desired: 3 }));
    expect(r.ok && r.plan.TerminateNodes).toEqual([]);
    expect(r.ok && r.plan.After).toMatchObject({ DesiredComputeNodeCount: 3, Nodes: 3, Cores: 12 });
  });

  it("cost is unknown (null), never zero, for an instance type without a price", () => {
    const i = input(env([node("RUNNING", { cpu: 2 })]), { desired: 2 });
    i.pricing = { ...i.pricing, instanceTypes: ["S5.MEDIUM4"] };
    const r = planScale(i);
    expect(r.ok && r.plan.Before.CostPerHour).toBe(null);
    expect(r.ok && r.plan.After).toMatchObject({ Cores: 4, CostPerHour: null });
  });
});

// ── invariants ──────────────────────────────────────────────────────────────────────

const STATES = ["SUBMITTED", "CREATING", "CREATED", "CREATION_FAILED", "RUNNING", "ABNORMAL", "DELETING"] as const;
const nodeArb = fc.record({ state: fc.constantFrom(...STATES), busy: fc.boolean(), ageMin: fc.integer({ min: 0, max: 5000 }) });
const ruleArb = fc
  .record({
    minNodes: fc.integer({ min: 0, max: 5 }),
    span: fc.integer({ min: 0, max: 20 }),
    maxCores: fc.option(fc.integer({ min: 0, max: 120 }), { nil: undefined }),
    cooldownSeconds: fc.integer({ min: 0, max: 600 }),
  })
  .map(({ minNodes, span, maxCores, cooldownSeconds }) => ({
    ...DEFAULT_RULE,
    minNodes,
    maxNodes: minNodes + span,
    cooldownSeconds,
    ...(maxCores !== undefined ? { maxCores } : {}),
  }));

describe("planScale: invariants", () => {
  it("a plan respects the policy, removes exactly the excess, and never picks a busy node while an idle one is left", () => {
    fc.assert(
      fc.property(
        fc.array(nodeArb, { maxLength: 25 }),
        ruleArb,
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 0, max: 120 }),
        (specs, rule, desired, target, lastActMin) => {
          const nodes = specs.map((s) => node(s.state, s));
          const e = env(nodes, desired);
          const r = planScale(input(e, { desired: target }, rule, { activities: [activity(lastActMin)] }));
          if (!r.ok) {
            expect(["allowScaling", "scaleScopes", "minNodes", "maxNodes", "maxCores", "cooldownSeconds", "destroyableNodes", "DesiredComputeNodeCount"]).toContain(r.refusal.rule);
            return;
          }
          const p = r.plan;
          expect(p.DesiredComputeNodeCount).toBe(target);
          if (p.Direction === "none") {
            expect(p.TerminateNodes).toEqual([]);
            return;
          }
          // Cooldown
          expect(lastActMin * 60 >= rule.cooldownSeconds).toBe(true);
          if (p.Direction === "up") {
            expect(p.DesiredComputeNodeCount).toBeLessThanOrEqual(rule.maxNodes);
            if (rule.maxCores !== undefined) expect(p.After.Cores).toBeLessThanOrEqual(rule.maxCores);
            expect(p.TerminateNodes).toEqual([]);
          } else {
            expect(p.DesiredComputeNodeCount).toBeGreaterThanOrEqual(rule.minNodes);
          }
          const live = nodes.filter((n) => n.ComputeNodeState !== "DELETING" && n.ComputeNodeState !== "CREATION_FAILED");
          expect(p.TerminateNodes).toHaveLength(p.Direction === "down" ? Math.max(0, live.length - target) : 0);
          expect(new Set(p.TerminateNodes).size).toBe(p.TerminateNodes.length);
          const byId = new Map(nodes.map((n) => [n.ComputeNodeId, n]));
          for (const id of p.TerminateNodes) expect(["CREATED", "RUNNING", "ABNORMAL"]).toContain(byId.get(id)?.ComputeNodeState);
          const idleLeft = scaleDownOrder(live).filter((n) => n.TaskInstanceNumAvailable > 0 || n.ComputeNodeState === "CREATED");
          const idleKept = idleLeft.filter((n) => !p.TerminateNodes.includes(n.ComputeNodeId));
          if (p.BusyNodes.length > 0) expect(idleKept).toEqual([]);
          expect(p.After.Nodes).toBe(target);
        },
      ),
      { numRuns: 400 },
    );
  });
});
