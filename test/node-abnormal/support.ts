// Snapshots for the remediation policy tests, in the shapes DescribeComputeEnv and
// DescribeComputeEnvActivities answer.
import { DEFAULT_REMEDIATION, type RemediationConfig } from "../../functions/node-abnormal/config";
import type { ActivitySnapshot, DecideInput, EnvSnapshot } from "../../functions/node-abnormal/policy";

export const NOW = Date.parse("2026-03-02T12:00:00Z");
export const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
export const ago = (seconds: number) => iso(NOW - seconds * 1000);

export type NodeSnap = EnvSnapshot["ComputeNodeSet"][number];

/** `ageSeconds: null` for a node Batch lists without ResourceCreatedTime. */
export const node = (id: string, state = "RUNNING", ageSeconds: number | null = 3600): NodeSnap => ({
  ComputeNodeId: id,
  ComputeNodeState: state,
  ResourceCreatedTime: ageSeconds === null ? null : ago(ageSeconds),
});

export const env = (nodes: NodeSnap[], change: Partial<EnvSnapshot> = {}): EnvSnapshot => ({
  EnvId: "env-render01",
  EnvName: "render",
  DesiredComputeNodeCount: nodes.length,
  NextAction: null,
  Tags: [],
  ComputeNodeSet: nodes,
  ...change,
});

export const destroyed = (nodeId: string, secondsAgo: number, cause = "TerminateComputeNode", state = "SUCCEED"): ActivitySnapshot => ({
  ComputeNodeId: nodeId,
  ComputeNodeActivityType: "DESTROY",
  ActivityState: state,
  Cause: cause,
  StartTime: ago(secondsAgo),
  EndTime: state === "SUCCEED" ? ago(Math.max(0, secondsAgo - 30)) : null,
});

export const config = (change: Partial<RemediationConfig> = {}): RemediationConfig => ({ ...DEFAULT_REMEDIATION, ...change });

export const input = (e: EnvSnapshot, change: Partial<DecideInput> = {}): DecideInput => ({
  env: e,
  activities: [],
  rule: { maxNodes: 20, remediation: true },
  config: config(),
  now: NOW,
  ...change,
});
