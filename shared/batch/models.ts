// Lenient zod schemas for what the Batch API (2017-03-12) answers.
// Replies cross a boundary, so they are parsed; they are loose (unknown fields pass)
// because Tencent adds fields over time and a new field must never break a function.
import { z } from "zod";

const str = z.string();
const optStr = z.string().nullish();
const num = z.number();
const count = z.number().nullish().transform((v) => v ?? 0);

export const JOB_STATES = [
  "SUBMITTED",
  "PENDING",
  "RUNNABLE",
  "STARTING",
  "RUNNING",
  "SUCCEED",
  "FAILED",
  "FAILED_INTERRUPTED",
] as const;
export type JobState = (typeof JOB_STATES)[number];

export const TASK_STATES = [
  "PENDING",
  "RUNNABLE",
  "STARTING",
  "RUNNING",
  "SUCCEED",
  "FAILED",
  "FAILED_INTERRUPTED",
] as const;
export type TaskState = (typeof TASK_STATES)[number];

export const NODE_STATES = [
  "PENDING",
  "SUBMITTED",
  "CREATING",
  "CREATED",
  "CREATION_FAILED",
  "RUNNING",
  "ABNORMAL",
  "DELETING",
] as const;
export type NodeState = (typeof NODE_STATES)[number];

export const ACTIVITY_STATES = ["SUBMITTED", "PROCESSING", "SUCCEED", "FAILED"] as const;

export const TagSchema = z.looseObject({ Key: str, Value: str });
export type Tag = z.infer<typeof TagSchema>;

export const PlacementSchema = z.looseObject({ Zone: str, ProjectId: z.number().nullish() });

export const MetricsSchema = z.looseObject({
  SubmittedCount: count,
  PendingCount: count,
  RunnableCount: count,
  StartingCount: count,
  RunningCount: count,
  SucceedCount: count,
  FailedInterruptedCount: count,
  FailedCount: count,
});
export type Metrics = z.infer<typeof MetricsSchema>;

export const ComputeNodeSchema = z.looseObject({
  ComputeNodeId: str,
  ComputeNodeInstanceId: optStr,
  ComputeNodeState: str,
  Cpu: num,
  Mem: num,
  ResourceCreatedTime: optStr,
  TaskInstanceNumAvailable: count,
  AgentVersion: optStr,
  PrivateIpAddresses: z.array(str).nullish(),
  PublicIpAddresses: z.array(str).nullish(),
  ResourceType: optStr,
  ResourceOrigin: optStr,
});
export type ComputeNode = z.infer<typeof ComputeNodeSchema>;

export const ComputeNodeMetricsSchema = z.looseObject({
  SubmittedCount: count,
  CreatingCount: count,
  CreationFailedCount: count,
  CreatedCount: count,
  RunningCount: count,
  DeletingCount: count,
  AbnormalCount: count,
});
export type ComputeNodeMetrics = z.infer<typeof ComputeNodeMetricsSchema>;

export const ComputeEnvSchema = z.looseObject({
  EnvId: str,
  EnvName: str,
  Placement: PlacementSchema,
  CreateTime: str,
  ComputeNodeSet: z.array(ComputeNodeSchema),
  ComputeNodeMetrics: ComputeNodeMetricsSchema,
  DesiredComputeNodeCount: num,
  EnvType: optStr,
  ResourceType: optStr,
  NextAction: optStr,
  AttachedComputeNodeCount: count,
  Tags: z.array(TagSchema).nullish(),
  RequestId: str,
});
export type ComputeEnv = z.infer<typeof ComputeEnvSchema>;

export const ComputeEnvViewSchema = z.looseObject({
  EnvId: str,
  EnvName: str,
  Placement: PlacementSchema,
  CreateTime: str,
  ComputeNodeMetrics: ComputeNodeMetricsSchema,
  EnvType: optStr,
  DesiredComputeNodeCount: num,
  ResourceType: optStr,
  NextAction: optStr,
  AttachedComputeNodeCount: count,
  Tags: z.array(TagSchema).nullish(),
});
export type ComputeEnvView = z.infer<typeof ComputeEnvViewSchema>;

export const ActivitySchema = z.looseObject({
  ActivityId: str,
  ComputeNodeId: str,
  ComputeNodeActivityType: str,
  EnvId: str,
  Cause: optStr,
  ActivityState: str,
  StateReason: optStr,
  StartTime: optStr,
  EndTime: optStr,
  InstanceId: optStr,
});
export type Activity = z.infer<typeof ActivitySchema>;

export const TaskViewSchema = z.looseObject({
  TaskName: str,
  TaskState: str,
  CreateTime: optStr,
  EndTime: optStr,
});

export const JobDetailSchema = z.looseObject({
  JobId: str,
  JobName: optStr,
  Zone: optStr,
  Priority: z.number().nullish(),
  JobState: str,
  CreateTime: optStr,
  EndTime: optStr,
  TaskSet: z.array(TaskViewSchema).nullish().transform((v) => v ?? []),
  DependenceSet: z
    .array(z.looseObject({ StartTask: str, EndTask: str }))
    .nullish()
    .transform((v) => v ?? []),
  TaskMetrics: MetricsSchema.nullish(),
  TaskInstanceMetrics: MetricsSchema.nullish(),
  StateReason: optStr,
  Tags: z.array(TagSchema).nullish(),
  NextAction: optStr,
  RequestId: str,
});
export type JobDetail = z.infer<typeof JobDetailSchema>;

export const JobViewSchema = z.looseObject({
  JobId: str,
  JobName: optStr,
  JobState: str,
  Priority: z.number().nullish(),
  Placement: PlacementSchema.nullish(),
  CreateTime: optStr,
  EndTime: optStr,
  TaskMetrics: MetricsSchema.nullish(),
  Tags: z.array(TagSchema).nullish(),
});
export type JobView = z.infer<typeof JobViewSchema>;

export const TaskInstanceViewSchema = z.looseObject({
  TaskInstanceIndex: num,
  TaskInstanceState: str,
  ExitCode: z.number().nullish(),
  StateReason: optStr,
  ComputeNodeInstanceId: optStr,
  CreateTime: optStr,
  LaunchTime: optStr,
  RunningTime: optStr,
  EndTime: optStr,
  StateDetailedReason: optStr,
});
export type TaskInstanceView = z.infer<typeof TaskInstanceViewSchema>;

export const TaskDetailSchema = z.looseObject({
  JobId: str,
  TaskName: str,
  TaskState: str,
  CreateTime: optStr,
  EndTime: optStr,
  TaskInstanceTotalCount: num,
  TaskInstanceSet: z.array(TaskInstanceViewSchema),
  TaskInstanceMetrics: MetricsSchema.nullish(),
  RequestId: str,
});
export type TaskDetail = z.infer<typeof TaskDetailSchema>;

export const TaskInstanceLogSchema = z.looseObject({
  TaskInstanceIndex: num,
  StdoutLog: optStr,
  StderrLog: optStr,
  StdoutRedirectPath: optStr,
  StderrRedirectPath: optStr,
  StdoutRedirectFileName: optStr,
  StderrRedirectFileName: optStr,
});
export type TaskInstanceLog = z.infer<typeof TaskInstanceLogSchema>;

export const RequestIdOnlySchema = z.looseObject({ RequestId: str });

export const page = <T extends z.ZodTypeAny>(key: string, item: T) =>
  z.looseObject({ [key]: z.array(item), TotalCount: num, RequestId: str });
