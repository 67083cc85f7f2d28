import { describe, expect, it } from "vitest";
import { auditFields, decide } from "../../functions/autoscale/policy";
import { ago, busy, idle, inState, NOW, settings, snap } from "./support";

describe("autoscale decision: scale up", () => {
  it("grows an env at zero for the work that waits, at once", () => {
    const d = decide(snap([], { waiting: 5 }), settings(), NOW);
    expect(d).toMatchObject({ action: "scale_up", before: 0, after: 5, terminate: [], rule: "demand" });
    expect(d.demand).toEqual({ waiting: 5, running: 0, busyNodes: 0, nodesNeeded: 5 });
    expect(d.why).toBe("env-render01 (render): 5 task instances wait and 0 nodes are busy: 5 nodes run the work now; scaling up from 0 to 5");
  });

  it("counts busy nodes and the work that waits beyond them", () => {
    const d = decide(snap([busy("n1"), busy("n2"), idle("n3", 30)], { waiting: 3 }), settings(), NOW);
    expect(d).toMatchObject({ action: "scale_up", before: 3, after: 5 });
    expect(d.demand.nodesNeeded).toBe(5);
  });

  it("adds at most maxStepUp nodes starting at once, and nothing more while they start", () => {
    const first = decide(snap([], { waiting: 25 }), settings({ maxStepUp: 10, maxNodes: 40 }), NOW);
    expect(first).toMatchObject({ action: "scale_up", after: 10, target: 25, rule: "maxStepUp" });
    expect(first.why).toContain("15 more once these start (at most 10 starting at once, maxStepUp)");
    // The next evaluation, while Batch creates them: capacity coming, no second step.
    const booting = decide(snap([inState("a", "SUBMITTED"), inState("b", "CREATING")], { desired: 10, waiting: 25 }), settings({ maxStepUp: 10, maxNodes: 40 }), NOW);
    expect(booting).toMatchObject({ action: "none", after: 10, rule: "capacityComing" });
    expect(booting.why).toContain("10 nodes still starting or not yet created count as capacity coming");
    // Once some run, the step continues with what is no longer starting.
    const some = decide(snap([busy("a"), busy("b"), busy("c"), inState("d", "CREATED")], { desired: 4, waiting: 21 }), settings({ maxStepUp: 10, maxNodes: 40 }), NOW);
    expect(some).toMatchObject({ action: "scale_up", before: 4, after: 13 });
  });

  it("counts nodes still starting as capacity coming: no double scale-up while booting", () => {
    const s = snap([inState("a", "SUBMITTED"), inState("b", "CREATING"), inState("c", "CREATED")], { desired: 5, waiting: 5 });
    const d = decide(s, settings(), NOW);
    expect(d).toMatchObject({ action: "none", before: 5, after: 5, capacity: { starting: 3, pending: 2 } });
    expect(d.why).toContain("nothing to do");
  });

  it("never grows past maxNodes", () => {
    const d = decide(snap([], { waiting: 50 }), settings({ maxNodes: 20, maxStepUp: 100 }), NOW);
    expect(d).toMatchObject({ action: "scale_up", after: 20, target: 20, rule: "maxNodes" });
    expect(d.why).toContain("(capped at maxNodes 20)");
    // Above maxNodes already (a policy lowered since): no growth, whatever waits.
    const above = decide(snap([busy("a"), busy("b"), busy("c")], { waiting: 4 }), settings({ maxNodes: 2 }), NOW);
    expect(above).toMatchObject({ action: "none", after: 3, rule: "maxNodes" });
    expect(above.why).toContain("the env has 3 desired and may not grow: maxNodes 2");
  });

  it("never grows past maxCores, new nodes counted at the largest type's cores", () => {
    const d = decide(snap([busy("a", 12)], { waiting: 10, newNodeCores: 12 }), settings({ maxCores: 40 }), NOW);
    // 12 live + 2 × 12 = 36 ≤ 40; a third would make 48.
    expect(d).toMatchObject({ action: "scale_up", before: 1, after: 3, rule: "maxCores" });
    expect(d.why).toContain("capped by maxCores 40: 12 cores live, new nodes counted at 12");
    const unknown = decide(snap([busy("a")], { waiting: 3, newNodeCores: undefined }), settings({ maxCores: 40 }), NOW);
    expect(unknown).toMatchObject({ action: "none", after: 1, rule: "maxCores" });
    expect(unknown.why).toContain("may not grow: maxCores 40 (the cores of a new node are unknown, so no node is added)");
  });

  it("keeps minNodes even with no work", () => {
    const d = decide(snap([]), settings({ minNodes: 2 }), NOW);
    expect(d).toMatchObject({ action: "scale_up", after: 2, rule: "minNodes" });
    expect(d.why).toBe("env-render01 (render): no task instance waits or runs: 0 nodes run the work now; scaling up from 0 to 2 (minNodes 2)");
  });

  it("keeps an ABNORMAL node's place for its replacement without counting it as capacity", () => {
    const d = decide(snap([inState("x", "ABNORMAL"), busy("a")], { waiting: 2 }), settings(), NOW);
    // 1 busy + 2 waiting = 3 healthy nodes needed, plus the abnormal one's place.
    expect(d).toMatchObject({ action: "scale_up", before: 2, after: 4, capacity: { abnormal: 1 } });
    expect(d.why).toContain("(1 abnormal node kept for its replacement)");
  });
});

describe("autoscale decision: scale down", () => {
  it("terminates only nodes idle for scaleDownAfterSeconds, longest idle first, down to zero", () => {
    const s = snap([idle("n1", 700), idle("n2", 1200), idle("n3", 650)]);
    const d = decide(s, settings(), NOW);
    expect(d).toMatchObject({ action: "scale_down", before: 3, after: 0, terminate: ["n2", "n1", "n3"] });
    expect(d.why).toBe(
      "env-render01 (render): no task instance waits or runs: 0 nodes run the work now; scaling down from 3 to 0: terminating 3 nodes idle for at least 600 s (n2 idle 1200 s, n1 idle 700 s, n3 idle 650 s)",
    );
  });

  it("never terminates a busy node, a starting one or an ABNORMAL one", () => {
    const s = snap([busy("b"), inState("s", "CREATED"), inState("x", "ABNORMAL"), idle("i", 900)]);
    const d = decide(s, settings(), NOW);
    expect(d).toMatchObject({ action: "scale_down", before: 4, after: 3, terminate: ["i"] });
  });

  it("waits until a node has been idle long enough, and says when", () => {
    const d = decide(snap([idle("n1", 300), idle("n2", 500)]), settings(), NOW);
    expect(d).toMatchObject({ action: "none", after: 2, rule: "scaleDownAfterSeconds" });
    expect(d.why).toContain("2 more than needed, but 2 idle nodes, none idle for 600 s yet (scaleDownAfterSeconds; the first in 100 s)");
  });

  it("leaves a node whose idle time is unknown", () => {
    const d = decide(snap([{ id: "n1", state: "RUNNING", cpu: 4, freeSlots: 1, idleSince: undefined }]), settings(), NOW);
    expect(d).toMatchObject({ action: "none", after: 1 });
    expect(d.why).toContain("since when is unknown");
  });

  it("never goes below minNodes", () => {
    const d = decide(snap([idle("n1", 900), idle("n2", 900), idle("n3", 900)]), settings({ minNodes: 2 }), NOW);
    expect(d).toMatchObject({ action: "scale_down", after: 2 });
    expect(d.terminate).toHaveLength(1);
    expect(d.why).toContain("scaling down from 3 to 2 (minNodes 2)");
  });

  it("scales nothing down while instances wait (Batch is placing them)", () => {
    const d = decide(snap([idle("n1", 900), idle("n2", 900), idle("n3", 900)], { waiting: 1 }), settings(), NOW);
    expect(d).toMatchObject({ action: "none", after: 3, rule: "waiting" });
    expect(d.why).toContain("1 task instance waits for a node, so no node is scaled down");
  });

  it("takes only as many idle nodes as are not needed", () => {
    const d = decide(snap([busy("b1"), idle("n1", 900), idle("n2", 2000)]), settings(), NOW);
    expect(d).toMatchObject({ action: "scale_down", after: 1, terminate: ["n2", "n1"] });
  });
});

describe("autoscale decision: holds", () => {
  const manual = { by: "manual" as const, at: ago(100) };

  it("leaves a manual change as it is for manualHoldSeconds, either way", () => {
    const up = decide(snap([], { waiting: 3, lastChange: manual }), settings(), NOW);
    expect(up).toMatchObject({ action: "hold", before: 0, after: 0, target: 3, rule: "manualHold" });
    expect(up.why).toBe(
      "env-render01 (render): 3 task instances wait and 0 nodes are busy: 3 nodes run the work now; would scale up from 0 to 3, but it was scaled by hand at 2026-03-02T11:58:20Z: autoscale leaves it as it is until 2026-03-02T12:13:20Z (manualHoldSeconds 900)",
    );
    const down = decide(snap([idle("n1", 900)], { lastChange: manual }), settings(), NOW);
    expect(down).toMatchObject({ action: "hold", after: 1, terminate: [], rule: "manualHold" });
    expect(down.why).toContain("would scale down from 1 to 0, terminating 1 node");
    // After the window, autoscale acts.
    expect(decide(snap([], { waiting: 3, lastChange: { by: "manual", at: ago(901) } }), settings(), NOW).action).toBe("scale_up");
  });

  it("treats a change nobody stamped (the console, another tool) as manual", () => {
    const d = decide(snap([idle("n1", 900)], { lastChange: { by: "unknown", at: ago(60) } }), settings(), NOW);
    expect(d).toMatchObject({ action: "hold", rule: "manualHold" });
    expect(d.why).toContain("changed outside autoscale, node-abnormal and the envs API");
  });

  it("does not shrink within remediation's window, but still grows for waiting work", () => {
    const remediation = { by: "remediation" as const, at: ago(100) };
    const down = decide(snap([idle("n1", 900)], { lastChange: remediation }), settings(), NOW);
    expect(down).toMatchObject({ action: "hold", after: 1, rule: "remediationHold" });
    expect(down.why).toContain("node-abnormal replaced nodes at 2026-03-02T11:58:20Z: no scale-down until 2026-03-02T12:03:20Z (remediationHoldSeconds 300)");
    expect(decide(snap([], { waiting: 2, lastChange: remediation }), settings(), NOW)).toMatchObject({ action: "scale_up", after: 2 });
  });

  it("holds nothing after its own change: the idle window is its hysteresis", () => {
    const own = { by: "autoscale" as const, at: ago(10) };
    expect(decide(snap([], { waiting: 2, lastChange: own }), settings(), NOW).action).toBe("scale_up");
    expect(decide(snap([idle("n1", 900)], { lastChange: own }), settings(), NOW).action).toBe("scale_down");
  });

  it("changes nothing when the policy does not allow scaling, and says so", () => {
    const d = decide(snap([], { waiting: 2 }), settings({ allowScaling: false }), NOW);
    expect(d).toMatchObject({ action: "hold", after: 0, rule: "allowScaling" });
    expect(d.why).toContain("but the env policy does not allow scaling this env (allowScaling: false)");
    expect(decide(snap([]), settings({ allowScaling: false }), NOW).action).toBe("none");
  });

  it("leaves an env being deleted alone", () => {
    const d = decide(snap([idle("n1", 900)], { deleting: true }), settings(), NOW);
    expect(d).toMatchObject({ action: "none", after: 1, rule: "deleting" });
    expect(d.why).toContain("being deleted");
  });
});

describe("autoscale audit line", () => {
  it("carries env, demand, before, after and why", () => {
    const d = decide(snap([], { waiting: 2 }), settings(), NOW);
    expect(auditFields(d, true)).toMatchObject({
      what: "autoscale",
      env: "env-render01",
      action: "scale_up",
      dry_run: true,
      demand: { waiting: 2, nodesNeeded: 2 },
      before: 0,
      after: 2,
      why: d.why,
    });
  });
});
