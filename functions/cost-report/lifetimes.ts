// Node lifetimes from an env's CREATE/DESTROY activities plus its current nodes, so a
// node destroyed before the run still counts. Where the history cannot tell, the lower
// bound is used and a data gap says so.
import { INSTANCE_TYPES } from "../../shared/schemas/instance-types";
import type { DataGap, EnvInput } from "./model";

export interface NodeLife {
  envId: string;
  nodeId: string;
  instanceId: string | undefined;
  instanceType: string;
  cores: number;
  /** When the node's resource came to life (tiers count hours from here). */
  start: number;
  /** When it was destroyed, or `now` while it lives. */
  end: number;
  aliveNow: boolean;
  /** ABNORMAL now, or destroyed because it was abnormal, inactive or failed. */
  unhealthy: boolean;
}

export interface EnvLives {
  lives: NodeLife[];
  failedCreations: number;
  gaps: DataGap[];
}

const UNHEALTHY_CAUSE = /abnormal|inactive|unhealthy|recreat|fail|heartbeat/i;
/** Current nodes in these states hold no resource yet (or never will). */
const NO_RESOURCE_STATES = new Set(["SUBMITTED", "PENDING", "CREATION_FAILED"]);

/** The type of one node: the env's only type, or the listed type whose size matches. */
function typeOf(env: EnvInput, cpu: number | undefined, mem: number | undefined): string | undefined {
  if (env.instanceTypes.length === 1) return env.instanceTypes[0];
  if (cpu === undefined) return undefined;
  const matches = env.instanceTypes.filter((t) => INSTANCE_TYPES[t]?.cpu === cpu && (mem === undefined || INSTANCE_TYPES[t]?.memGiB === mem));
  return matches.length === 1 ? matches[0] : undefined;
}

export interface Periods {
  windowFrom: number;
  windowTo: number;
  monthFrom: number;
}

export function nodeLives(env: EnvInput, now: number, periods: Periods): EnvLives {
  const gaps: DataGap[] = [];
  const lives: NodeLife[] = [];
  let failedCreations = 0;

  const creates = new Map<string, EnvInput["activities"][number]>();
  const destroys = new Map<string, EnvInput["activities"][number]>();
  let horizon = Number.POSITIVE_INFINITY;
  for (const a of env.activities) {
    if (a.start !== undefined) horizon = Math.min(horizon, a.start);
    if (a.type === "CREATE") {
      const prev = creates.get(a.nodeId);
      // A node id is created once; keep the successful record if there are several.
      if (!prev || (prev.state !== "SUCCEED" && a.state === "SUCCEED")) creates.set(a.nodeId, a);
    } else if (a.type === "DESTROY") {
      const prev = destroys.get(a.nodeId);
      if (!prev || (a.start ?? 0) > (prev.start ?? 0)) destroys.set(a.nodeId, a);
    }
  }

  const current = new Map(env.nodes.map((n) => [n.nodeId, n]));
  const ids = new Set<string>([...current.keys(), ...creates.keys(), ...destroys.keys()]);
  const sameCpu = new Set(env.nodes.map((n) => n.cpu));
  const commonCpu = sameCpu.size === 1 ? [...sameCpu][0] : undefined;
  let truncated = 0;

  for (const nodeId of ids) {
    const cur = current.get(nodeId);
    const create = creates.get(nodeId);
    const destroy = destroys.get(nodeId);

    // A failed creation is counted and bills nothing; nor does a listed node that holds no resource yet.
    const failed = cur ? cur.state === "CREATION_FAILED" : create?.state === "FAILED";
    if (failed || (cur && NO_RESOURCE_STATES.has(cur.state) && cur.createdAt === undefined)) {
      if (failed) failedCreations++;
      continue;
    }

    let start = cur?.createdAt ?? create?.end ?? create?.start;
    if (start === undefined) {
      // Created before the oldest activity Batch still keeps: count from there (a lower bound).
      truncated++;
      start = Math.min(Number.isFinite(horizon) ? horizon : now, destroy?.start ?? now);
    }

    let end: number;
    let aliveNow: boolean;
    if (destroy && destroy.state === "SUCCEED") {
      end = destroy.end ?? destroy.start ?? now;
      aliveNow = false;
    } else if (cur || (destroy && (destroy.state === "SUBMITTED" || destroy.state === "PROCESSING"))) {
      end = now;
      aliveNow = true;
    } else if (create && create.state !== "SUCCEED" && create.state !== "FAILED") {
      // Still being created and not listed yet: it has no resource to bill.
      continue;
    } else {
      end = start;
      aliveNow = false;
      // Without the node list, the env's own gap (env_nodes_unreadable) already says this.
      if (!env.nodesUnknown) gaps.push({
        code: "node_end_unknown",
        envId: env.envId,
        message: `node ${nodeId} of ${env.envId} is gone but Batch kept no DESTROY activity for it; its time after creation is not counted`,
        scope: start < periods.windowTo ? "window" : "month",
      });
    }
    if (end < start) end = start;

    const type = typeOf(env, cur?.cpu, cur?.memGiB);
    const cores = cur?.cpu ?? (type ? INSTANCE_TYPES[type]?.cpu : undefined) ?? commonCpu;
    if (cores === undefined) {
      gaps.push({
        code: "node_cores_unknown",
        envId: env.envId,
        message: `the size of node ${nodeId} of ${env.envId} is unknown (its env's instance type could not be read); its core-hours are not counted`,
        scope: end > periods.windowFrom && start < periods.windowTo ? "window" : "month",
      });
    }
    const unhealthy =
      cur?.state === "ABNORMAL" || (destroy !== undefined && UNHEALTHY_CAUSE.test(destroy.cause)) || (create?.state === "FAILED");
    lives.push({
      envId: env.envId,
      nodeId,
      instanceId: cur?.instanceId ?? create?.instanceId ?? destroy?.instanceId,
      instanceType: type ?? "unknown",
      cores: cores ?? 0,
      start,
      end,
      aliveNow,
      unhealthy,
    });
  }

  // History cut before the periods reported leaves their numbers exact: no gap then.
  if (truncated > 0 && horizon > Math.min(periods.windowFrom, periods.monthFrom)) {
    gaps.push({
      code: "activities_truncated",
      envId: env.envId,
      message: `${truncated} node(s) of ${env.envId} were created before the oldest activity Batch keeps (${Number.isFinite(horizon) ? new Date(horizon).toISOString() : "none kept"}); they are counted from then, a lower bound`,
      scope: horizon > periods.windowFrom ? "window" : "month",
    });
  }
  return { lives, failedCreations, gaps };
}
