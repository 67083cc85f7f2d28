// What the cost core reads (plain records gathered through the Batch port) and what it
// answers (the versioned report). Times are epoch milliseconds inside, ISO-8601 outside.
import type { Alert } from "../../shared/alerts";
import type { Threshold } from "./budgets";

export interface DataGap {
  /** Stable code, e.g. `env_unreadable`, `activities_truncated`, `node_end_unknown`. */
  code: string;
  message: string;
  envId?: string;
  jobId?: string;
  /** The region whose read left the gap (set when the report reads named regions). */
  region?: string;
  /** `window`: the window's numbers may be low (the report is partial); `month`: only month-to-date. */
  scope: "window" | "month";
}

export interface CurrentNodeInput {
  nodeId: string;
  instanceId: string | undefined;
  state: string;
  cpu: number;
  memGiB: number;
  createdAt: number | undefined;
}

export interface ActivityInput {
  activityId: string;
  nodeId: string;
  instanceId: string | undefined;
  type: "CREATE" | "DESTROY" | "OTHER";
  state: string;
  start: number | undefined;
  end: number | undefined;
  cause: string;
}

export interface EnvInput {
  envId: string;
  envName: string;
  zone: string;
  region: string;
  createdAt: number | undefined;
  /** From the env's creation request; empty when it could not be read. */
  instanceTypes: string[];
  nodes: CurrentNodeInput[];
  /** The current node list could not be read: `nodes` is empty for want of data, not because none live. */
  nodesUnknown?: boolean;
  activities: ActivityInput[];
  tags: Array<{ key: string; value: string }>;
}

export interface InstanceInput {
  taskName: string;
  index: number;
  state: string;
  nodeInstanceId: string | undefined;
  /** RunningTime, else LaunchTime. */
  start: number | undefined;
  end: number | undefined;
}

export interface JobInput {
  jobId: string;
  jobName: string;
  tags: Array<{ key: string; value: string }>;
  instances: InstanceInput[];
}

export interface CostInputs {
  envs: EnvInput[];
  jobs: JobInput[];
  /** Jobs were read for task instances overlapping [jobsFrom, now]. */
  jobsFrom: number;
  gaps: DataGap[];
  /** The regions read (BATCH_REGIONS, in order), each in the report even without envs; else the envs' regions. */
  regions?: readonly string[] | undefined;
}

export interface Summary {
  nodeHours: number;
  coreHours: number;
  busyCoreHours: number;
  idleCoreHours: number;
  /** Idle core-hours of ABNORMAL or failed nodes. */
  wasteCoreHours: number;
  /** Core-hours of nodes whose instance type has no price. */
  unpricedCoreHours: number;
  /** Cost of priced nodes; unpriced core-hours are not in it (see unpricedCoreHours). */
  cost: number;
  busyCost: number;
  idleCost: number;
  wasteCost: number;
  /** Idle share of provisioned core-hours, in percent. */
  idlePercent: number;
}

export interface CostRow extends Summary {
  date: string;
  envId: string;
  envName: string;
  region: string;
  instanceType: string;
  priced: boolean;
}

export interface EnvReport {
  envId: string;
  envName: string;
  region: string;
  zone: string;
  instanceTypes: string[];
  tags: Array<{ key: string; value: string }>;
  summary: Summary;
  days: Array<{ date: string; cost: number; coreHours: number; idleCoreHours: number }>;
  nodes: { counted: number; aliveNow: number; unhealthy: number; failedCreations: number };
}

export interface JobReport {
  jobId: string;
  jobName: string;
  submitter: string;
  tags: Array<{ key: string; value: string }>;
  envIds: string[];
  instances: number;
  coreHours: number;
  cost: number;
  unpricedCoreHours: number;
  /** Instances that ran on nodes outside the reported envs (anonymous ComputeEnv): not priced here. */
  outsideEnvInstances: number;
}

export interface GroupReport {
  key: string;
  value: string;
  jobs: number;
  coreHours: number;
  cost: number;
}

/** One region's share of the report: its envs' sums (the totals add these up). */
export interface RegionReport {
  region: string;
  /** False: the region's compute environments could not be listed; none of its cost is in the report (a data gap names it). */
  read: boolean;
  /** A data gap that affects the window names this region or one of its envs. */
  partial: boolean;
  envs: number;
  summary: Summary;
  month: { actualCost: number; projectedCost: number };
}

export interface BudgetStatus {
  scope: "total" | "region" | "env" | "tag";
  name: string;
  monthly: number;
  actual: number;
  projected: number;
  actualPercent: number;
  projectedPercent: number;
  crossed: Threshold[];
}

export interface MonthReport {
  month: string;
  from: string;
  to: string;
  /** Month-to-date runs up to here (the window's end, or now if earlier). */
  actualTo: string;
  actualCost: number;
  projectedCost: number;
  byEnv: Array<{ envId: string; envName: string; actualCost: number; projectedCost: number }>;
  /** Per tag month-to-date, only when tag budgets asked for it. */
  byTag: Array<{ key: string; value: string; actualCost: number; projectedCost: number }>;
}

export interface Assumptions {
  priceSource: string;
  currency: string;
  tiersApplied: boolean;
  unpricedInstanceTypes: string[];
  timeZone: string;
  rules: Record<string, string>;
  dataGaps: DataGap[];
}

export const REPORT_KIND = "batch-cost-report";
export const REPORT_VERSION = 1;

export interface CostReport {
  kind: typeof REPORT_KIND;
  version: typeof REPORT_VERSION;
  generatedAt: string;
  window: { from: string; to: string; timeZone: string; countedTo: string; days: string[] };
  partial: boolean;
  currency: string;
  totals: Summary;
  /** Per region, in the order BATCH_REGIONS names them. */
  regions: RegionReport[];
  envs: EnvReport[];
  rows: CostRow[];
  jobs: JobReport[];
  bySubmitter: GroupReport[];
  byTag: GroupReport[];
  month: MonthReport;
  budgets: BudgetStatus[];
  alerts: Alert[];
  assumptions: Assumptions;
}
