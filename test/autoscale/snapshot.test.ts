import { describe, expect, it } from "vitest";
import { decide } from "../../functions/autoscale/policy";
import {
  ATTRIBUTION_WINDOW_MS,
  type BatchRead,
  demandOf,
  lastChangeOf,
  newNodeCores,
  type NodeRead,
  SLOTS_PER_NODE,
  snapshotOf,
} from "../../functions/autoscale/snapshot";
import { stampDescription } from "../../shared/env-policy";
import { latestChange } from "../../shared/schemas/activities";
import { ago, iso, NOW, settings } from "./support";

const node = (id: string, state: string, free: number, createdSecondsAgo = 7200): NodeRead => ({
  ComputeNodeId: id,
  ComputeNodeInstanceId: `ins-${id.slice(5)}`,
  ComputeNodeState: state,
  Cpu: 4,
  TaskInstanceNumAvailable: free,
  ResourceCreatedTime: iso(ago(createdSecondsAgo)),
});

const read = (over: Partial<BatchRead> = {}, envOver: Partial<BatchRead["env"]> = {}): BatchRead => ({
  env: {
    EnvId: "env-render01",
    EnvName: "render",
    DesiredComputeNodeCount: 3,
    NextAction: null,
    Tags: [],
    ComputeNodeSet: [node("node-aaaaaaaa", "RUNNING", 0), node("node-bbbbbbbb", "RUNNING", 1), node("node-cccccccc", "CREATING", 0, 30)],
    ...envOver,
  },
  instanceTypes: ["BS1.LARGE8"],
  activities: [],
  tasks: [],
  instancesSince: ago(3600),
  ...over,
});

describe("snapshot derivation from Batch's replies", () => {
  it("reads one task instance per node, as Batch, the emulator and the envs API do", () => {
    expect(SLOTS_PER_NODE).toBe(1);
  });

  it("counts new nodes at the largest of the env's instance types; unknown when one is unknown", () => {
    expect(newNodeCores(["BS1.LARGE8", "BS1.LARGE24"])).toBe(12);
    expect(newNodeCores(["BS1.LARGE8", "X9.HUGE"])).toBeUndefined();
    expect(newNodeCores([])).toBeUndefined();
  });

  it("counts RUNNABLE instances of this env's tasks, within MaxConcurrentNum, and those running on its nodes", () => {
    const ids = new Set(["ins-aaaaaaaa"]);
    const tasks = [
      { EnvId: "env-render01", TaskInstanceSet: [{ TaskInstanceState: "RUNNABLE" }, { TaskInstanceState: "RUNNABLE" }, { TaskInstanceState: "PENDING" }] },
      {
        EnvId: "env-render01",
        MaxConcurrentNum: 2,
        TaskInstanceSet: [
          { TaskInstanceState: "RUNNING", ComputeNodeInstanceId: "ins-aaaaaaaa" },
          { TaskInstanceState: "RUNNABLE" },
          { TaskInstanceState: "RUNNABLE" },
          { TaskInstanceState: "SUCCEED", ComputeNodeInstanceId: "ins-aaaaaaaa", EndTime: iso(ago(10)) },
        ],
      },
      { EnvId: "env-other001", TaskInstanceSet: [{ TaskInstanceState: "RUNNABLE" }] },
    ];
    // 2 (no limit) + 1 (limit 2, one started); PENDING waits for dependences; other env ignored.
    expect(demandOf("env-render01", tasks, ids)).toEqual({ waiting: 3, running: 1 });
  });

  it("takes a node's idle time from its creation, readiness, last instance end and the history's start", () => {
    const s = snapshotOf(
      read({
        activities: [{ ComputeNodeId: "node-bbbbbbbb", ComputeNodeActivityType: "CREATE", StartTime: iso(ago(7200)), EndTime: iso(ago(7000)) }],
        tasks: [{ EnvId: "env-render01", TaskInstanceSet: [{ TaskInstanceState: "SUCCEED", ComputeNodeInstanceId: "ins-bbbbbbbb", EndTime: iso(ago(120)) }] }],
      }),
      NOW,
    );
    const b = s.nodes.find((n) => n.id === "node-bbbbbbbb");
    expect(b).toMatchObject({ freeSlots: 1, idleSince: ago(120) });
    // No instance ended on it within the history: idle at least since the history starts.
    const quiet = snapshotOf(read(), NOW).nodes.find((n) => n.id === "node-bbbbbbbb");
    expect(quiet?.idleSince).toBe(ago(3600));
    // Created after the history starts: idle since its CREATE activity ended (ready).
    const young = snapshotOf(
      read(
        { activities: [{ ComputeNodeId: "node-bbbbbbbb", ComputeNodeActivityType: "CREATE", StartTime: iso(ago(1000)), EndTime: iso(ago(800)) }] },
        { ComputeNodeSet: [node("node-bbbbbbbb", "RUNNING", 1, 1000)] },
      ),
      NOW,
    );
    expect(young.nodes[0]?.idleSince).toBe(ago(800));
  });

  it("calls a node busy when an unfinished instance names it, whatever its slots read", () => {
    const s = snapshotOf(
      read({ tasks: [{ EnvId: "env-render01", TaskInstanceSet: [{ TaskInstanceState: "STARTING", ComputeNodeInstanceId: "ins-bbbbbbbb" }] }] }),
      NOW,
    );
    expect(s.nodes.find((n) => n.id === "node-bbbbbbbb")).toMatchObject({ freeSlots: 0, idleSince: NOW });
    expect(s.running).toBe(1);
  });

  it("attributes the last change to its stamp, unless someone destroyed nodes after it", () => {
    const tags = stampDescription("render farm", { by: "autoscale", at: ago(600) });
    const create = (s: number) => ({ ComputeNodeId: "node-x", ComputeNodeActivityType: "CREATE", Cause: "Desired compute node count not met", StartTime: iso(ago(s)) });
    const destroy = (s: number, Cause = "TerminateComputeNode") => ({ ComputeNodeId: "node-y", ComputeNodeActivityType: "DESTROY", Cause, StartTime: iso(ago(s)) });
    // Nodes created for the stamped count, however late (stock, retries), are that change.
    expect(lastChangeOf([create(598), create(60)], tags)).toEqual({ by: "autoscale", at: ago(600) });
    // A termination within the window is the stamped change itself.
    expect(lastChangeOf([destroy(600 - ATTRIBUTION_WINDOW_MS / 1000)], tags)).toEqual({ by: "autoscale", at: ago(600) });
    // One after it: someone else removed nodes.
    expect(lastChangeOf([destroy(300)], tags)).toEqual({ by: "unknown", at: ago(300) });
    // Batch's own RECREATE is nobody's change.
    expect(lastChangeOf([destroy(30, "ActionIfComputeNodeInactive=RECREATE: node inactive for 600 s")], tags)).toEqual({ by: "autoscale", at: ago(600) });
    // No stamp: the latest activity, author unknown (treated as manual); none: no change known.
    expect(lastChangeOf([create(500), destroy(200)], "render farm")).toEqual({ by: "unknown", at: ago(200) });
    expect(lastChangeOf([], undefined)).toBeUndefined();
    expect(lastChangeOf([], "render farm [batch-scf/last-change=someone@yesterday]")).toBeUndefined();
  });

  it("feeds decide: an idle node past its window goes, the busy and starting ones stay", () => {
    const s = snapshotOf(read(), NOW);
    expect(s).toMatchObject({ envId: "env-render01", desired: 3, waiting: 0, slotsPerNode: 1, newNodeCores: 4, deleting: false });
    const d = decide(s, settings(), NOW);
    expect(d).toMatchObject({ action: "scale_down", before: 3, after: 2, terminate: ["node-bbbbbbbb"] });
    expect(decide(snapshotOf(read({}, { NextAction: "DELETING" }), NOW), settings(), NOW).action).toBe("none");
  });
});

describe("latestChange (one rule for the envs cooldown and autoscale's holds)", () => {
  const created = Date.parse("2026-03-02T12:00:00Z");
  const act = (type: string, secondsAfterCreation: number, Cause = "Desired compute node count not met") => ({
    ComputeNodeActivityType: type,
    Cause,
    StartTime: new Date(created + secondsAfterCreation * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"),
  });
  it("skips the env's creation and Batch's own RECREATE, and counts anyone's change", () => {
    expect(latestChange([act("CREATE", 0), act("CREATE", 1)], created)).toBeUndefined();
    expect(latestChange([act("CREATE", 0), act("CREATE", 600)], created)?.at).toBe(created + 600_000);
    expect(latestChange([act("CREATE", 0), act("DESTROY", 5)], created)?.at).toBe(created + 5_000);
    expect(latestChange([act("CREATE", 0), act("DESTROY", 900, "ActionIfComputeNodeInactive=RECREATE")], created)).toBeUndefined();
    // Without the creation time, every activity is a change.
    expect(latestChange([act("CREATE", 0)], undefined)?.at).toBe(created);
    // Removing a node whose creation failed is cleanup, not a change of size.
    const failed = { ...act("CREATE", 600), ComputeNodeId: "node-f", ActivityState: "FAILED" };
    const cleanup = { ...act("DESTROY", 900), ComputeNodeId: "node-f", ActivityState: "SUCCEED" };
    expect(latestChange([act("CREATE", 0), failed, cleanup], created)?.at).toBe(created + 600_000);
    expect(latestChange([act("CREATE", 0), { ...failed, ActivityState: "SUCCEED" }, cleanup], created)?.at).toBe(created + 900_000);
  });
});

describe("stamps from the future", () => {
  it("are no stamp: a hand-written far-future stamp does not hold the env", () => {
    const future = stampDescription("x", { by: "manual", at: NOW + 3_600_000 });
    expect(lastChangeOf([], future, undefined, NOW)).toBeUndefined();
    const skewed = stampDescription("x", { by: "manual", at: NOW + 30_000 });
    expect(lastChangeOf([], skewed, undefined, NOW)).toEqual({ by: "manual", at: NOW + 30_000 });
  });
});
