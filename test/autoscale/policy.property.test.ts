import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type AutoscaleDecision, type AutoscaleSnapshot, decide, type NodeSnapshot } from "../../functions/autoscale/policy";
import { NODE_STATES } from "../../shared/batch/models";
import type { AutoscaleSettings } from "../../shared/env-policy";
import { NOW } from "./support";

const STARTING = new Set(["PENDING", "SUBMITTED", "CREATING", "CREATED"]);
const GONE = new Set(["CREATION_FAILED", "DELETING"]);

const nodeArb: fc.Arbitrary<Omit<NodeSnapshot, "id">> = fc.record({
  // RUNNING weighted up (busy and idle both), plus a state Batch may add one day.
  state: fc.constantFrom(...NODE_STATES, "RUNNING", "RUNNING", "RUNNING", "ABNORMAL", "REBOOTING"),
  cpu: fc.constantFrom(4, 12, 24),
  freeSlots: fc.constantFrom(0, 1),
  idleSince: fc.option(fc.integer({ min: 0, max: 3600 }).map((s) => NOW - s * 1000), { nil: undefined }),
});

const settingsArb: fc.Arbitrary<AutoscaleSettings> = fc
  .record({
    a: fc.integer({ min: 0, max: 30 }),
    b: fc.integer({ min: 0, max: 30 }),
    maxCores: fc.option(fc.integer({ min: 0, max: 300 }), { nil: undefined }),
    allowScaling: fc.constantFrom(true, true, true, false),
    scaleDownAfterSeconds: fc.integer({ min: 0, max: 1800 }),
    maxStepUp: fc.integer({ min: 1, max: 15 }),
    manualHoldSeconds: fc.integer({ min: 0, max: 1800 }),
    remediationHoldSeconds: fc.integer({ min: 0, max: 900 }),
  })
  .map(({ a, b, ...r }) => ({ source: "policy" as const, minNodes: Math.min(a, b), maxNodes: Math.max(a, b), ...r }));

const snapshotArb: fc.Arbitrary<AutoscaleSnapshot> = fc
  .record({
    nodes: fc.array(nodeArb, { maxLength: 25 }),
    extraDesired: fc.integer({ min: -5, max: 8 }),
    // No work half the time: scale-down needs none waiting.
    waiting: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 60 })),
    running: fc.integer({ min: 0, max: 30 }),
    newNodeCores: fc.option(fc.constantFrom(4, 12, 24), { nil: undefined }),
    deleting: fc.constantFrom(false, false, false, false, true),
    lastChange: fc.option(
      fc.record({
        by: fc.constantFrom("manual" as const, "autoscale" as const, "remediation" as const, "unknown" as const),
        at: fc.integer({ min: 0, max: 3600 }).map((s) => NOW - s * 1000),
      }),
      { nil: undefined, freq: 3 },
    ),
  })
  .map((r) => {
    const nodes = r.nodes.map((n, i) => ({ ...n, id: `node-${String(i).padStart(8, "0")}` }));
    const live = nodes.filter((n) => !GONE.has(n.state)).length;
    return {
      envId: "env-prop0001",
      envName: "prop",
      desired: Math.max(0, live + r.extraDesired),
      deleting: r.deleting,
      nodes,
      waiting: r.waiting,
      running: r.running,
      slotsPerNode: 1,
      newNodeCores: r.newNodeCores,
      lastChange: r.lastChange,
    };
  });

const inputArb = fc.tuple(snapshotArb, settingsArb);

/** The env as Batch would show it once the decision is carried out (nodes to come are not listed yet). */
function applied(s: AutoscaleSnapshot, d: AutoscaleDecision): AutoscaleSnapshot {
  if (d.action !== "scale_up" && d.action !== "scale_down") return s;
  const gone = new Set(d.terminate);
  return { ...s, desired: d.after, nodes: s.nodes.filter((n) => !gone.has(n.id)), lastChange: { by: "autoscale", at: NOW } };
}

const liveOf = (s: AutoscaleSnapshot) => s.nodes.filter((n) => !GONE.has(n.state));

describe("autoscale decision invariants (property)", () => {
  it("draws snapshots that exercise every action (so the properties below can fail)", () => {
    const counts = new Map<string, number>();
    for (const [s, settings] of fc.sample(inputArb, { numRuns: 3000, seed: 42 })) {
      const a = decide(s, settings, NOW).action;
      counts.set(a, (counts.get(a) ?? 0) + 1);
    }
    for (const action of ["none", "scale_up", "scale_down", "hold"]) expect(counts.get(action) ?? 0).toBeGreaterThan(100);
  });

  it("never scales below minNodes, never grows above maxNodes", () => {
    fc.assert(
      fc.property(inputArb, ([s, settings]) => {
        const d = decide(s, settings, NOW);
        if (d.action === "scale_down") expect(d.after).toBeGreaterThanOrEqual(settings.minNodes);
        if (d.action === "scale_up") expect(d.after).toBeLessThanOrEqual(settings.maxNodes);
        expect(d.after).toBeGreaterThanOrEqual(Math.min(d.before, settings.minNodes));
        expect(d.after).toBeLessThanOrEqual(Math.max(d.before, settings.maxNodes));
        expect(d.after).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 2000 },
    );
  });

  it("never grows above maxCores, new nodes counted at the largest type's cores", () => {
    fc.assert(
      fc.property(inputArb, ([s, settings]) => {
        const d = decide(s, settings, NOW);
        if (d.action !== "scale_up" || settings.maxCores === undefined) return;
        const live = liveOf(s);
        const added = d.after - live.length;
        if (added <= 0) return;
        expect(s.newNodeCores).toBeDefined();
        const cores = live.reduce((sum, n) => sum + n.cpu, 0) + added * (s.newNodeCores ?? Number.POSITIVE_INFINITY);
        expect(cores).toBeLessThanOrEqual(settings.maxCores);
      }),
      { numRuns: 2000 },
    );
  });

  it("terminates only RUNNING nodes with every slot free, idle for the whole window; never a busy, ABNORMAL or starting node", () => {
    fc.assert(
      fc.property(inputArb, ([s, settings]) => {
        const d = decide(s, settings, NOW);
        const byId = new Map(s.nodes.map((n) => [n.id, n]));
        if (d.action !== "scale_down") expect(d.terminate).toEqual([]);
        else expect(d.terminate.length).toBe(d.before - d.after);
        expect(new Set(d.terminate).size).toBe(d.terminate.length);
        for (const id of d.terminate) {
          const n = byId.get(id);
          expect(n).toBeDefined();
          expect(n?.state).toBe("RUNNING");
          expect(n?.freeSlots).toBeGreaterThanOrEqual(s.slotsPerNode);
          expect(n?.idleSince).toBeDefined();
          expect(NOW - (n?.idleSince ?? NOW)).toBeGreaterThanOrEqual(settings.scaleDownAfterSeconds * 1000);
          expect(STARTING.has(n?.state ?? "")).toBe(false);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("is idempotent: the env as the decision leaves it decides nothing more (a hold stays the same hold)", () => {
    fc.assert(
      fc.property(inputArb, ([s, settings]) => {
        const d = decide(s, settings, NOW);
        const again = decide(applied(s, d), settings, NOW);
        expect(again.after).toBe(d.action === "hold" ? d.before : d.after);
        if (d.action === "hold") expect(again).toEqual(d);
        else expect(again.action).toBe("none");
      }),
      { numRuns: 3000 },
    );
  });

  it("leaves at most maxStepUp desired nodes not yet running (so at most that many new ones), counting those still coming", () => {
    fc.assert(
      fc.property(inputArb, ([s, settings]) => {
        const d = decide(s, settings, NOW);
        if (d.action !== "scale_up") return;
        const runningOrHeld = s.nodes.filter((n) => !GONE.has(n.state) && !STARTING.has(n.state)).length;
        const created = d.after - Math.max(d.before, liveOf(s).length);
        expect(d.after - d.before).toBeGreaterThan(0);
        expect(d.after - runningOrHeld).toBeLessThanOrEqual(settings.maxStepUp);
        expect(created).toBeLessThanOrEqual(settings.maxStepUp);
      }),
      { numRuns: 2000 },
    );
  });

  it("changes nothing when scaling is not allowed, the env is being deleted, or within a manual hold", () => {
    fc.assert(
      fc.property(inputArb, ([s, settings]) => {
        const d = decide(s, settings, NOW);
        const manualHold =
          (s.lastChange?.by === "manual" || s.lastChange?.by === "unknown") && NOW - s.lastChange.at < settings.manualHoldSeconds * 1000;
        const remediationHold = s.lastChange?.by === "remediation" && NOW - s.lastChange.at < settings.remediationHoldSeconds * 1000;
        if (!settings.allowScaling || s.deleting || manualHold) expect(["none", "hold"]).toContain(d.action);
        if (remediationHold) expect(d.action).not.toBe("scale_down");
        if (s.waiting > 0) expect(d.action).not.toBe("scale_down");
        if (d.action === "hold" || d.action === "none") expect(d.after).toBe(d.before);
        expect(d.why.length).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });

  it("never scales up past what the work needs, and never down below it", () => {
    fc.assert(
      fc.property(inputArb, ([s, settings]) => {
        const d = decide(s, settings, NOW);
        const floor = Math.max(settings.minNodes, d.demand.nodesNeeded + d.capacity.abnormal);
        if (d.action === "scale_up") expect(d.after).toBeLessThanOrEqual(floor);
        if (d.action === "scale_down") expect(d.after).toBeGreaterThanOrEqual(floor);
      }),
      { numRuns: 2000 },
    );
  });
});
