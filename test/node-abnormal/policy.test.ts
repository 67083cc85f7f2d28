import { describe, expect, it } from "vitest";
import { decide, needsActivities, type RemediationPlan } from "../../functions/node-abnormal/policy";
import { config, destroyed, env, input, NOW, node } from "./support";

const decisions = (p: RemediationPlan) => Object.fromEntries(p.nodes.map((n) => [n.nodeId, n.decision]));
const healthy = (n: number, prefix = "ok") => Array.from({ length: n }, (_, i) => node(`node-${prefix}${String(i).padStart(6, "0")}`));

describe("remediation policy", () => {
  it("replaces an old abnormal node and holds the desired count", () => {
    const p = decide(input(env([...healthy(3), node("node-bad00001", "ABNORMAL")])));
    expect(decisions(p)).toEqual({ "node-bad00001": "replaced" });
    expect(p.actions).toEqual([
      { kind: "terminate", nodeIds: ["node-bad00001"] },
      { kind: "set-desired", desired: 4, reason: "restore" },
    ]);
    expect(p.alerts).toEqual([]);
  });

  it("reports hinted nodes that are no longer abnormal or gone, and does nothing", () => {
    const p = decide(input(env(healthy(2)), { hintedNodeIds: ["node-ok000000", "node-gone0001", "node-gone0001"] }));
    expect(p.nodes).toEqual([
      { nodeId: "node-ok000000", decision: "skipped:not-abnormal", state: "RUNNING" },
      { nodeId: "node-gone0001", decision: "skipped:not-abnormal", state: "GONE" },
    ]);
    expect(p.actions).toEqual([]);
  });

  it.each([
    [599, "skipped:grace"],
    [600, "replaced"],
  ])("leaves a node of %i s alone during the 600 s startup grace or not", (age, expected) => {
    const p = decide(input(env([...healthy(3), node("node-young001", "ABNORMAL", age)])));
    expect(decisions(p)["node-young001"]).toBe(expected);
    expect(p.actions.length > 0).toBe(expected === "replaced");
  });

  it("treats a node without ResourceCreatedTime as past its grace", () => {
    const p = decide(input(env([...healthy(3), node("node-noage001", "ABNORMAL", null)])));
    expect(decisions(p)["node-noage001"]).toBe("replaced");
    expect(p.nodes[0]).not.toHaveProperty("ageSeconds");
  });

  it.each([
    // [abnormal, creation-failed, healthy, desired, okUnhealthyCount, short-circuited]
    [2, 0, 3, 5, 1, false], // 2 ≤ 45 % × 5 = 2.25
    [3, 0, 2, 5, 1, true],
    [1, 2, 2, 5, 1, true], // creation failures count too
    [1, 0, 0, 1, 1, false], // a one-node env: one unhealthy node is within okUnhealthyCount
    [1, 0, 0, 1, 0, true],
    [3, 0, 7, 10, 3, false],
    [5, 0, 5, 10, 3, true],
  ])("abnormal %i + failed %i with %i healthy of %i desired (ok %i): short-circuit %s", (bad, failed, ok, desired, okCount, sc) => {
    const nodes = [
      ...healthy(ok),
      ...Array.from({ length: bad }, (_, i) => node(`node-bad0000${i}`, "ABNORMAL")),
      ...Array.from({ length: failed }, (_, i) => node(`node-fail000${i}`, "CREATION_FAILED")),
    ];
    const p = decide(input(env(nodes, { DesiredComputeNodeCount: desired }), { config: config({ okUnhealthyCount: okCount }) }));
    expect(p.actions.length === 0).toBe(sc);
    expect(p.alerts.map((a) => a.kind)).toEqual(sc ? ["remediation.short-circuit"] : []);
    if (sc) {
      expect(new Set(Object.values(decisions(p)))).toEqual(new Set(["skipped:short-circuit"]));
      expect(p.alerts[0]).toMatchObject({ severity: "critical", details: { env: "env-render01", unhealthy: bad + failed, desired } });
    }
  });

  it("waits out the cooldown after a termination, but not after Batch's own RECREATE", () => {
    const e = env([...healthy(3), node("node-bad00001", "ABNORMAL")]);
    const cooling = decide(input(e, { activities: [destroyed("node-old00001", 100)] }));
    expect(decisions(cooling)).toEqual({ "node-bad00001": "skipped:cooldown" });
    expect(cooling.inputs.cooldownRemainingSeconds).toBe(200);
    expect(cooling.actions).toEqual([]);

    const recreate = destroyed("node-old00001", 100, "ActionIfComputeNodeInactive=RECREATE: node inactive for 600 s, recreating it");
    expect(decisions(decide(input(e, { activities: [recreate] })))).toEqual({ "node-bad00001": "replaced" });
    expect(decisions(decide(input(e, { activities: [destroyed("node-old00001", 301)] })))).toEqual({ "node-bad00001": "replaced" });
  });

  it("stops at the hourly cap and alerts; within the cap replaces what the budget allows, oldest first", () => {
    const past = (n: number) => Array.from({ length: n }, (_, i) => destroyed(`node-old0000${i}`, 400 + i * 400));
    const nodes = [...healthy(8), node("node-bad00001", "ABNORMAL", 5000), node("node-bad00002", "ABNORMAL", 7000)];
    const full = decide(input(env(nodes), { activities: past(6) }));
    expect(decisions(full)).toEqual({ "node-bad00002": "skipped:cap", "node-bad00001": "skipped:cap" });
    expect(full.actions).toEqual([]);
    expect(full.alerts).toEqual([expect.objectContaining({ kind: "remediation.cap", severity: "warning" })]);

    const partial = decide(input(env(nodes), { activities: past(5) }));
    expect(decisions(partial)).toEqual({ "node-bad00002": "replaced", "node-bad00001": "skipped:cap" });
    expect(partial.actions[0]).toEqual({ kind: "terminate", nodeIds: ["node-bad00002"] });
    expect(partial.alerts.map((a) => a.kind)).toEqual(["remediation.cap"]);

    // Terminations older than an hour no longer count.
    const old = Array.from({ length: 6 }, (_, i) => destroyed(`node-old0000${i}`, 3601 + i * 60));
    expect(decide(input(env(nodes), { activities: old })).actions[0]).toEqual({ kind: "terminate", nodeIds: ["node-bad00002", "node-bad00001"] });
  });

  it("flags a replacement that went abnormal again soon as a retry", () => {
    const p = decide(input(env([...healthy(3), node("node-again001", "ABNORMAL", 900)]), { activities: [destroyed("node-first001", 905)] }));
    expect(p.nodes).toEqual([{ nodeId: "node-again001", decision: "replaced", state: "ABNORMAL", ageSeconds: 900, retry: true }]);
  });

  it("does not fight Batch: a node with a DESTROY or CREATE in progress is left to Batch", () => {
    const e = env([...healthy(3), node("node-bad00001", "ABNORMAL"), node("node-bad00002", "ABNORMAL")], { DesiredComputeNodeCount: 5 });
    const recreating = destroyed("node-bad00001", 5, "ActionIfComputeNodeInactive=RECREATE", "PROCESSING");
    const p = decide(input(e, { activities: [recreating] }));
    expect(decisions(p)).toEqual({ "node-bad00001": "skipped:batch-recreating", "node-bad00002": "replaced" });
    expect(p.actions[0]).toEqual({ kind: "terminate", nodeIds: ["node-bad00002"] });
  });

  it.each([
    ["the opt-out tag", { Tags: [{ Key: "batch-scf/remediation", Value: "off" }] }, true, "skipped:opt-out"],
    ["the rule", {}, false, "skipped:opt-out"],
    ["an env being deleted", { NextAction: "DELETING" }, true, "skipped:env-deleting"],
  ])("does nothing on %s", (_what, change, remediation, expected) => {
    const p = decide(input(env([...healthy(3), node("node-bad00001", "ABNORMAL")], change), { rule: { maxNodes: 20, remediation } }));
    expect(decisions(p)).toEqual({ "node-bad00001": expected });
    expect(p.actions).toEqual([]);
  });

  it("in dry run says what it would do, flagged so nothing is sent", () => {
    const p = decide(input(env([...healthy(3), node("node-bad00001", "ABNORMAL")]), { config: config({ dryRun: true }) }));
    expect(decisions(p)).toEqual({ "node-bad00001": "dry-run" });
    expect(p.dryRun).toBe(true);
    expect(p.actions.map((a) => a.kind)).toEqual(["terminate", "set-desired"]);
  });

  it("in surge mode raises desired first, unless that would pass maxNodes", () => {
    const nodes = [...healthy(3), node("node-bad00001", "ABNORMAL")];
    const surge = decide(input(env(nodes), { config: config({ mode: "surge" }) }));
    expect(surge.actions).toEqual([
      { kind: "set-desired", desired: 5, reason: "surge" },
      { kind: "terminate", nodeIds: ["node-bad00001"] },
    ]);
    const tight = decide(input(env(nodes), { config: config({ mode: "surge" }), rule: { maxNodes: 4, remediation: true } }));
    expect(tight.inputs.modeFallback).toBe("maxNodes");
    expect(tight.actions).toEqual([
      { kind: "terminate", nodeIds: ["node-bad00001"] },
      { kind: "set-desired", desired: 4, reason: "restore" },
    ]);
  });

  it("in surge mode does not raise desired again while an earlier surge is still pending (no drift on retries)", () => {
    // desired 5 for 4 nodes: an earlier surge raised it and its undo failed.
    const p = decide(input(env([...healthy(3), node("node-bad00001", "ABNORMAL")], { DesiredComputeNodeCount: 5 }), { config: config({ mode: "surge" }) }));
    expect(p.inputs.modeFallback).toBe("surge-pending");
    expect(p.actions).toEqual([
      { kind: "terminate", nodeIds: ["node-bad00001"] },
      { kind: "set-desired", desired: 5, reason: "restore" },
    ]);
  });

  it("never restores above maxNodes, and never lowers below what termination leaves", () => {
    const nodes = (n: number) => [...healthy(n - 2), node("node-bad00001", "ABNORMAL"), node("node-bad00002", "ABNORMAL")];
    const over = decide(input(env(nodes(6)), { rule: { maxNodes: 4, remediation: true } }));
    expect(over.actions).toEqual([{ kind: "terminate", nodeIds: ["node-bad00001", "node-bad00002"] }]);
    const between = decide(input(env(nodes(5)), { rule: { maxNodes: 4, remediation: true } }));
    expect(between.actions[1]).toEqual({ kind: "set-desired", desired: 4, reason: "restore" });
  });

  it.each([
    ["a fleet settled for over an hour", [node("node-a", "RUNNING", 4000), node("node-b", "ABNORMAL", 4000)], 2, false],
    ["a node younger than the hour (a recent replacement)", [node("node-a", "RUNNING", 3000), node("node-b", "ABNORMAL", 4000)], 2, true],
    ["a node being deleted", [node("node-a", "DELETING", 4000), node("node-b", "ABNORMAL", 4000)], 2, true],
    ["a creation failure", [node("node-a", "CREATION_FAILED", 4000), node("node-b", "ABNORMAL", 4000)], 2, true],
    ["fewer nodes than desired", [node("node-b", "ABNORMAL", 4000)], 2, true],
    ["a node without ResourceCreatedTime", [node("node-a", "RUNNING", null), node("node-b", "ABNORMAL", 4000)], 2, true],
  ])("reads the activities unless the env is quiet: %s → %s", (_what, nodes, desired, expected) => {
    expect(needsActivities(env(nodes, { DesiredComputeNodeCount: desired }), config(), NOW)).toBe(expected);
  });

  it("looks back as far as the cooldown or retry window when they are longer than an hour", () => {
    const e = env([node("node-a", "RUNNING", 4000), node("node-b", "ABNORMAL", 4000)]);
    expect(needsActivities(e, config({ cooldownSeconds: 5000 }), NOW)).toBe(true);
    expect(needsActivities(e, config({ retryWindowSeconds: 5000 }), NOW)).toBe(true);
  });

  it("terminates in calls of at most 100 nodes, then restores once", () => {
    const bad = Array.from({ length: 150 }, (_, i) => node(`node-b${String(i).padStart(7, "0")}`, "ABNORMAL"));
    const p = decide(input(env([...healthy(250), ...bad]), { config: config({ maxReplacementsPerHour: 1000 }), rule: { maxNodes: 500, remediation: true } }));
    expect(p.actions.map((a) => (a.kind === "terminate" ? a.nodeIds.length : a.desired))).toEqual([100, 50, 400]);
  });
});
