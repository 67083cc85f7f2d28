import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { RemediationConfig } from "../../functions/node-abnormal/config";
import { type ActivitySnapshot, type DecideInput, decide, type EnvSnapshot, needsActivities } from "../../functions/node-abnormal/policy";
import { NODE_STATES } from "../../shared/batch/models";
import { iso, NOW } from "./support";

const nodeIdArb = fc.integer({ min: 0, max: 30 }).map((i) => `node-${String(i).padStart(8, "0")}`);

const nodeArb = fc.record({
  state: fc.constantFrom(...NODE_STATES, "ABNORMAL", "ABNORMAL", "RUNNING"),
  age: fc.option(fc.integer({ min: 0, max: 7200 }), { nil: undefined }),
});

const activityArb: fc.Arbitrary<ActivitySnapshot> = fc.record({
  ComputeNodeId: nodeIdArb,
  ComputeNodeActivityType: fc.constantFrom("CREATE", "DESTROY", "destroy"),
  ActivityState: fc.constantFrom("SUBMITTED", "PROCESSING", "SUCCEED", "FAILED"),
  Cause: fc.constantFrom("TerminateComputeNode", "ActionIfComputeNodeInactive=RECREATE", "DesiredComputeNodeCount lowered to 1", null),
  StartTime: fc.integer({ min: 0, max: 7200 }).map((s) => iso(NOW - s * 1000)),
  EndTime: fc.constant(null),
});

const configArb: fc.Arbitrary<RemediationConfig> = fc.record({
  dryRun: fc.boolean(),
  mode: fc.constantFrom("replace" as const, "surge" as const),
  graceSeconds: fc.integer({ min: 0, max: 1200 }),
  maxUnhealthyPercent: fc.integer({ min: 0, max: 100 }),
  okUnhealthyCount: fc.integer({ min: 0, max: 5 }),
  cooldownSeconds: fc.integer({ min: 0, max: 900 }),
  maxReplacementsPerHour: fc.integer({ min: 0, max: 10 }),
  retryWindowSeconds: fc.integer({ min: 0, max: 3600 }),
  eventSkewSeconds: fc.constant(2),
  alertRepeatSeconds: fc.constant(600),
});

const inputArb: fc.Arbitrary<DecideInput> = fc
  .record({
    nodes: fc.uniqueArray(fc.tuple(nodeIdArb, nodeArb), { selector: ([id]) => id, maxLength: 15 }),
    desired: fc.integer({ min: 0, max: 25 }),
    maxNodes: fc.integer({ min: 0, max: 25 }),
    remediation: fc.boolean(),
    optOutTag: fc.boolean(),
    activities: fc.array(activityArb, { maxLength: 12 }),
    config: configArb,
    hinted: fc.array(nodeIdArb, { maxLength: 5 }),
  })
  .map((r) => ({
    env: {
      EnvId: "env-prop0001",
      EnvName: "prop",
      DesiredComputeNodeCount: r.desired,
      NextAction: null,
      Tags: r.optOutTag ? [{ Key: "batch-scf/remediation", Value: "off" }] : [],
      ComputeNodeSet: r.nodes.map(([id, n]) => ({
        ComputeNodeId: id,
        ComputeNodeState: n.state,
        ResourceCreatedTime: n.age === undefined ? null : iso(NOW - n.age * 1000),
      })),
    },
    activities: r.activities,
    rule: { maxNodes: r.maxNodes, remediation: r.remediation },
    config: r.config,
    now: NOW,
    hintedNodeIds: r.hinted,
  }));

const terminated = (p: ReturnType<typeof decide>) => p.actions.flatMap((a) => (a.kind === "terminate" ? a.nodeIds : []));
const unhealthy = (e: EnvSnapshot) => e.ComputeNodeSet.filter((n) => n.ComputeNodeState === "ABNORMAL" || n.ComputeNodeState === "CREATION_FAILED").length;

describe("remediation policy invariants", () => {
  it("never sets the desired count above maxNodes (or below zero)", () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        for (const a of decide(input).actions) {
          if (a.kind === "set-desired") {
            expect(a.desired).toBeLessThanOrEqual(input.rule.maxNodes);
            expect(a.desired).toBeGreaterThanOrEqual(0);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it("never acts while short-circuited, opted out, or when nothing is past its grace", () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const p = decide(input);
        const limit = Math.max(input.config.okUnhealthyCount, (input.config.maxUnhealthyPercent / 100) * input.env.DesiredComputeNodeCount);
        if (unhealthy(input.env) > limit) expect(p.actions).toEqual([]);
        if (!input.rule.remediation || (input.env.Tags ?? []).length > 0) expect(p.actions).toEqual([]);
        if (p.actions.length > 0) expect(p.alerts.map((a) => a.kind)).not.toContain("remediation.short-circuit");
      }),
      { numRuns: 500 },
    );
  });

  it("terminates only abnormal nodes past grace that Batch is not handling, each once, within the hourly budget", () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const ids = terminated(decide(input));
        expect(new Set(ids).size).toBe(ids.length);
        const byId = new Map(input.env.ComputeNodeSet.map((n) => [n.ComputeNodeId, n]));
        for (const id of ids) {
          const n = byId.get(id);
          expect(n?.ComputeNodeState).toBe("ABNORMAL");
          if (n?.ResourceCreatedTime) expect(NOW - Date.parse(n.ResourceCreatedTime)).toBeGreaterThanOrEqual(input.config.graceSeconds * 1000);
          expect(input.activities.some((a) => a.ComputeNodeId === id && (a.ActivityState === "SUBMITTED" || a.ActivityState === "PROCESSING"))).toBe(false);
        }
        expect(ids.length).toBeLessThanOrEqual(input.config.maxReplacementsPerHour);
      }),
      { numRuns: 500 },
    );
  });

  it("over a run of invocations (skipping activities when allowed), never acts twice on a node, keeps the cooldown and the hourly cap", () => {
    const stepArb = fc.record({
      advanceSeconds: fc.integer({ min: 0, max: 900 }),
      breakNodes: fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 3 }),
      hinted: fc.boolean(),
    });
    fc.assert(
      fc.property(configArb, fc.array(stepArb, { minLength: 1, maxLength: 25 }), (cfg, steps) => {
        const config = { ...cfg, dryRun: false, graceSeconds: Math.min(cfg.graceSeconds, 300) };
        let now = NOW;
        let seq = 0;
        const newNode = () => ({ ComputeNodeId: `node-${String(seq++).padStart(8, "0")}`, ComputeNodeState: "RUNNING", ResourceCreatedTime: iso(now) });
        // The fleet has been up for two hours: the first passes may skip the activities.
        const env: EnvSnapshot = {
          EnvId: "env-prop0002",
          EnvName: "run",
          DesiredComputeNodeCount: 10,
          ComputeNodeSet: Array.from({ length: 10 }, () => ({ ...newNode(), ResourceCreatedTime: iso(NOW - 7_200_000) })),
        };
        const activities: ActivitySnapshot[] = [];
        const everTerminated = new Set<string>();
        const terminations: number[] = [];
        for (const step of steps) {
          now += step.advanceSeconds * 1000;
          for (const i of step.breakNodes) {
            const n = env.ComputeNodeSet[i];
            if (n && n.ComputeNodeState === "RUNNING") n.ComputeNodeState = "ABNORMAL";
          }
          // As the executor does: activities only when the snapshot does not prove them irrelevant.
          const seen = needsActivities(env, config, now) ? activities : [];
          const p = decide({ env, activities: seen, rule: { maxNodes: 12, remediation: true }, config, now });
          // Apply the plan as Batch would: terminated nodes go DELETING (then vanish and a
          // new node takes the slot once desired is restored).
          for (const id of terminated(p)) {
            expect(everTerminated.has(id)).toBe(false);
            everTerminated.add(id);
            terminations.push(now);
            activities.push({ ComputeNodeId: id, ComputeNodeActivityType: "DESTROY", ActivityState: "SUCCEED", Cause: "TerminateComputeNodes", StartTime: iso(now), EndTime: iso(now) });
            const idx = env.ComputeNodeSet.findIndex((n) => n.ComputeNodeId === id);
            env.ComputeNodeSet[idx] = newNode();
          }
        }
        terminations.forEach((t, i) => {
          const inHour = terminations.filter((u) => u > t - 3_600_000 && u <= t).length;
          expect(inHour).toBeLessThanOrEqual(config.maxReplacementsPerHour);
          const prev = terminations[i - 1];
          if (prev !== undefined && prev !== t) expect(t - prev).toBeGreaterThanOrEqual(config.cooldownSeconds * 1000);
        });
      }),
      { numRuns: 300 },
    );
  });
});
