// The emulator's state: what Batch would know. Times are epoch milliseconds internally
// and ISO-8601 UTC (`YYYY-MM-DDThh:mm:ssZ`) on the wire. The SCF and CMQ control plane's
// records live in ./scf/records and ./tdmq/records.
import { formatBatchTime } from "../../shared/schemas/batch-time";
import type { ScfFailNextRecord, ScfFunctionRecord } from "./scf/records";
import type { CmqSubscriptionRecord, CmqTopicRecord } from "./tdmq/records";

export interface NotificationConfig {
  TopicName: string;
  EventConfigs: Array<{ EventName: string; EventVars: Array<{ Name: string; Value: string }> }>;
}

export type NodeStateName =
  | "SUBMITTED"
  | "CREATING"
  | "CREATED"
  | "CREATION_FAILED"
  | "RUNNING"
  | "ABNORMAL"
  | "DELETING";

export interface NodeRecord {
  id: string; // node-xxxxxxxx
  instanceId: string; // ins-xxxxxxxx
  state: NodeStateName;
  /** When the node entered `state` (drives the lifecycle delays). */
  stateSince: number;
  createdAt: number;
  cpu: number;
  memGiB: number;
  instanceType: string;
  privateIp: string;
  /** Task instance currently placed here, as `${jobId}/${taskName}/${index}`. */
  busyWith?: string | undefined;
  /** How often Batch's own RECREATE replaced this node's predecessors. */
  recreateCount: number;
  /** The node this one was recreated from, if any. */
  recreatedFrom?: string | undefined;
  /** Test hook: stay ABNORMAL/healthy regardless of lifecycle. */
  pinnedAbnormal?: boolean | undefined;
  /** Anonymous nodes belong to one job (MANAGED ComputeEnv of a task), not a named env. */
  anonymousFor?: string | undefined;
}

export interface ActivityRecord {
  ActivityId: string;
  ComputeNodeId: string;
  ComputeNodeActivityType: "CREATE" | "DESTROY";
  EnvId: string;
  Cause: string;
  ActivityState: "SUBMITTED" | "PROCESSING" | "SUCCEED" | "FAILED";
  StateReason: string;
  StartTime: string;
  EndTime: string | null;
  InstanceId: string;
}

export interface EnvRecord {
  id: string; // env-xxxxxxxx
  name: string;
  description: string;
  zone: string;
  region: string;
  envType: string; // MANAGED
  createdAt: number;
  desired: number;
  instanceType: string;
  /** The CreateComputeEnv request as received (DescribeComputeEnvCreateInfo answers from it). */
  createRequest: Record<string, unknown>;
  notifications: NotificationConfig[];
  tags: Array<{ Key: string; Value: string }>;
  actionIfInactive: string; // RECREATE
  resourceMaxRetryCount: number;
  nodes: NodeRecord[];
  /** Set while DeleteComputeEnv drains the env. */
  deleting: boolean;
  /** When the env accepted the change it is still applying (EMULATOR_ENV_BUSY_MS > 0 only; see ./envs). */
  applyingSince?: number | undefined;
  /** Test hook: the next N node creations fail (-1: all). */
  failCreations: number;
}

export interface InstanceRecord {
  index: number;
  state: "PENDING" | "RUNNABLE" | "STARTING" | "RUNNING" | "SUCCEED" | "FAILED" | "FAILED_INTERRUPTED";
  exitCode: number | null;
  stateReason: string;
  nodeId: string | null;
  nodeInstanceId: string | null;
  createdAt: number;
  launchAt: number | null;
  runningAt: number | null;
  endAt: number | null;
  attempts: number;
  /** Tail of stdout/stderr kept for DescribeTaskLogs (≤ 2 KiB each). */
  stdoutTail: string;
  stderrTail: string;
  /** Where redirected output was written, as Batch names it (cos://…/file). */
  stdoutRedirect: string | null;
  stderrRedirect: string | null;
  /** Process-group id of the attempt's command while it runs (an orphan to kill after a crash). */
  pgid?: number | undefined;
}

export interface TaskRecord {
  name: string;
  state: InstanceRecord["state"];
  createdAt: number;
  endAt: number | null;
  /** The task as submitted (Application, EnvId/ComputeEnv, RedirectInfo, …). */
  spec: Record<string, unknown>;
  instances: InstanceRecord[];
}

export interface JobRecord {
  id: string; // job-xxxxxxxx
  name: string;
  description: string;
  zone: string;
  region: string;
  priority: number;
  state: "SUBMITTED" | "PENDING" | "RUNNABLE" | "STARTING" | "RUNNING" | "SUCCEED" | "FAILED" | "FAILED_INTERRUPTED";
  stateReason: string;
  createdAt: number;
  endAt: number | null;
  tasks: TaskRecord[];
  dependences: Array<{ StartTask: string; EndTask: string }>;
  taskExecutionDependOn: string;
  notifications: NotificationConfig[];
  tags: Array<{ Key: string; Value: string }>;
  /** The SubmitJob request's Job as received (DescribeJobSubmitInfo answers from it). */
  submitted: Record<string, unknown>;
  terminating: boolean;
}

export interface TokenRecord {
  /** `SubmitJob` or `CreateComputeEnv`. */
  action: string;
  token: string;
  /** The region it was used in: a token is per region (absent in states saved before). */
  region?: string | undefined;
  /** sha256 of the canonical request, to detect a reused token with another body. */
  requestHash: string;
  resultId: string;
  at: number;
}

/** Record kinds kept as plain keyed maps, by their kind name in SQLite. */
export interface KeyedRecords {
  scfFunction: ScfFunctionRecord;
  scfFailNext: ScfFailNextRecord;
  cmqTopic: CmqTopicRecord;
  cmqSubscription: CmqSubscriptionRecord;
}
export type KeyedKind = keyof KeyedRecords;

/** The field of EmulatorState each keyed kind is exported under. */
export const KEYED_STATE_FIELDS = {
  scfFunction: "scfFunctions",
  scfFailNext: "scfFailNext",
  cmqTopic: "cmqTopics",
  cmqSubscription: "cmqSubscriptions",
} as const satisfies Record<KeyedKind, string>;

/** Optional, so states exported before SCF and CMQ existed still import. */
export type KeyedState = { [K in KeyedKind as (typeof KEYED_STATE_FIELDS)[K]]?: Array<KeyedRecords[K]> };

export interface EmulatorState extends KeyedState {
  version: 1;
  envs: EnvRecord[];
  jobs: JobRecord[];
  activities: ActivityRecord[];
  tokens: TokenRecord[];
}

/** Batch's time format (shared/schemas/batch-time.ts). */
export const iso = formatBatchTime;
