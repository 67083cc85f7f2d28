// Builds cost-core inputs the way the collector would from Batch replies: a node that is
// gone exists only as CREATE/DESTROY activities; a live node is also a current node.
import type { ActivityInput, CostInputs, EnvInput, InstanceInput, JobInput } from "../../functions/cost-report/model";
import { INSTANCE_TYPES } from "../../shared/schemas/instance-types";

export const H = 3_600_000;
/** 2019-02-20 00:00 in Asia/Shanghai: the default window of the timer fixture starts here. */
export const DAY0 = Date.parse("2019-02-19T16:00:00Z");
export const SHANGHAI_DAY = { from: DAY0, to: DAY0 + 24 * H, timeZone: "Asia/Shanghai" };

export interface NodeSpec {
  id: string;
  start: number;
  /** Destroyed at; undefined while alive. */
  end?: number;
  state?: string;
  destroyCause?: string;
  /** Omit the CREATE activity (history older than Batch keeps). */
  noCreate?: boolean;
}

export function env(envId: string, instanceType: string, nodes: NodeSpec[], extra: Partial<EnvInput> = {}): EnvInput {
  const spec = INSTANCE_TYPES[instanceType];
  const cpu = spec?.cpu ?? extra.nodes?.[0]?.cpu ?? 2;
  const activities: ActivityInput[] = [];
  const current: EnvInput["nodes"] = [];
  for (const n of nodes) {
    const ins = `ins-${n.id.slice(5)}`;
    if (!n.noCreate)
      activities.push({ activityId: `act-c-${n.id}`, nodeId: n.id, instanceId: ins, type: "CREATE", state: "SUCCEED", start: n.start - 60_000, end: n.start, cause: "Desired compute node count not met" });
    if (n.end !== undefined) {
      activities.push({ activityId: `act-d-${n.id}`, nodeId: n.id, instanceId: ins, type: "DESTROY", state: "SUCCEED", start: n.end - 30_000, end: n.end, cause: n.destroyCause ?? "scale down" });
    } else {
      current.push({ nodeId: n.id, instanceId: ins, state: n.state ?? "RUNNING", cpu, memGiB: spec?.memGiB ?? 4, createdAt: n.start });
    }
  }
  return {
    envId,
    envName: `${envId}-name`,
    zone: "ap-guangzhou-2",
    region: "ap-guangzhou",
    createdAt: Date.parse("2019-01-01T00:00:00Z"),
    instanceTypes: [instanceType],
    nodes: current,
    activities,
    tags: [],
    ...extra,
  };
}

export function job(jobId: string, tags: Record<string, string>, runs: Array<{ node: string; start: number; end?: number; state?: string }>): JobInput {
  const instances: InstanceInput[] = runs.map((r, i) => ({
    taskName: "t1",
    index: i,
    state: r.state ?? (r.end === undefined ? "RUNNING" : "SUCCEED"),
    nodeInstanceId: `ins-${r.node.slice(5)}`,
    start: r.start,
    end: r.end,
  }));
  return { jobId, jobName: `${jobId}-name`, tags: Object.entries(tags).map(([key, value]) => ({ key, value })), instances };
}

export const inputs = (envs: EnvInput[], jobs: JobInput[] = [], jobsFrom = 0): CostInputs => ({ envs, jobs, jobsFrom, gaps: [] });
