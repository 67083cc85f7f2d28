// Snapshots and settings for the autoscale policy tests.
import type { AutoscaleSnapshot, NodeSnapshot } from "../../functions/autoscale/policy";
import { AUTOSCALE_DEFAULTS, type AutoscaleSettings } from "../../shared/env-policy";

export const NOW = Date.parse("2026-03-02T12:00:00Z");
export const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
export const ago = (seconds: number) => NOW - seconds * 1000;

export const settings = (over: Partial<AutoscaleSettings> = {}): AutoscaleSettings => ({
  source: "policy",
  minNodes: 0,
  maxNodes: 20,
  allowScaling: true,
  ...AUTOSCALE_DEFAULTS,
  ...over,
});

/** A RUNNING node, idle since `idleSeconds` ago (busy when `busy`). */
export const idle = (id: string, idleSeconds: number, cpu = 4): NodeSnapshot => ({ id, state: "RUNNING", cpu, freeSlots: 1, idleSince: ago(idleSeconds) });
export const busy = (id: string, cpu = 4): NodeSnapshot => ({ id, state: "RUNNING", cpu, freeSlots: 0, idleSince: NOW });
export const inState = (id: string, state: string, cpu = 4): NodeSnapshot => ({ id, state, cpu, freeSlots: 0, idleSince: NOW });

export const snap = (nodes: NodeSnapshot[], over: Partial<AutoscaleSnapshot> = {}): AutoscaleSnapshot => ({
  envId: "env-render01",
  envName: "render",
  desired: nodes.filter((n) => n.state !== "DELETING" && n.state !== "CREATION_FAILED").length,
  deleting: false,
  nodes,
  waiting: 0,
  running: nodes.filter((n) => n.state === "RUNNING" && n.freeSlots === 0).length,
  slotsPerNode: 1,
  newNodeCores: 4,
  ...over,
});
