// Lenient zod schemas for what the Batch API (2017-03-12) answers.
// Replies cross a boundary, so they are parsed; they are loose (unknown fields pass)
// because Tencent adds fields over time and a new field must never break a function.
import { z } from "zod";

/** An object schema that keeps unknown fields (Tencent adds fields over time). */
const loose = <T extends z.ZodRawShape>(shape: T) => z.object(shape).passthrough();
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

export const TagSchema = z.object({ Key: str, Value: str });
export type Tag = z.infer<typeof TagSchema>;

export const PlacementSchema = loose({ Zone: str, ProjectId: z.number().nullish() });

export const MetricsSchema = loose({
  SubmittedCount: count,
  PendingCount: count,
  RunnableCount: count,
  StartingCount: count,
  RunningCount: count,
  SucceedCount: count,
  FailedInterruptedCount: count,
  FailedCount: count,
}).passthrough();
export type Metrics = z.infer<typeof MetricsSchema>;

export const ComputeNodeSchema = z.object({
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
}).passthrough();
export type ComputeNode = z.infer<typeof ComputeNodeSchema>;

export const ComputeNodeMetricsSchema = z.object({
  SubmittedCount: count,
  CreatingCount: count,
  CreationFailedCount: count,
  CreatedCount: count,
  RunningCount: count,
  DeletingCount: count,
  AbnormalCount: count,
}).passthrough();
export type ComputeNodeMetrics = z.infer<typeof ComputeNodeMetricsSchema>;

export const ComputeEnvSchema = z.object({
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
}).passthrough();
export type ComputeEnv = z.infer<typeof ComputeEnvSchema>;

export const ComputeEnvViewSchema = z.object({
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
}).passthrough();
export type ComputeEnvView = z.infer<typeof ComputeEnvViewSchema>;

export const ActivitySchema = z.object({
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
}).passthrough();
export type Activity = z.infer<typeof ActivitySchema>;

export const TaskViewSchema = z.object({
  TaskName: str,
  TaskState: str,
  CreateTime: optStr,
  EndTime: optStr,
}).passthrough();

export const JobDetailSchema = z.object({
  JobId: str,
  JobName: optStr,
  Zone: optStr,
  Priority: z.number().nullish(),
  JobState: str,
  CreateTime: optStr,
  EndTime: optStr,
  TaskSet: z.array(TaskViewSchema).nullish().transform((v) => v ?? []),
  DependenceSet: z
    .array(loose({ StartTask: str, EndTask: str }))
    .nullish()
    .transform((v) => v ?? []),
  TaskMetrics: MetricsSchema.nullish(),
  TaskInstanceMetrics: MetricsSchema.nullish(),
  StateReason: optStr,
  Tags: z.array(TagSchema).nullish(),
  NextAction: optStr,
  RequestId: str,
}).passthrough();
export type JobDetail = z.infer<typeof JobDetailSchema>;

export const JobViewSchema = z.object({
  JobId: str,
  JobName: optStr,
  JobState: str,
  Priority: z.number().nullish(),
  Placement: PlacementSchema.nullish(),
  CreateTime: optStr,
  EndTime: optStr,
  TaskMetrics: MetricsSchema.nullish(),
  Tags: z.array(TagSchema).nullish(),
}).passthrough();
export type JobView = z.infer<typeof JobViewSchema>;

export const TaskInstanceViewSchema = z.object({
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
}).passthrough();
export type TaskInstanceView = z.infer<typeof TaskInstanceViewSchema>;

export const TaskDetailSchema = z.object({
  JobId: str,
  TaskName: str,
  TaskState: str,
  CreateTime: optStr,
  EndTime: optStr,
  TaskInstanceTotalCount: num,
  TaskInstanceSet: z.array(TaskInstanceViewSchema),
  TaskInstanceMetrics: MetricsSchema.nullish(),
  RequestId: str,
}).passthrough();
export type TaskDetail = z.infer<typeof TaskDetailSchema>;

export const TaskInstanceLogSchema = z.object({
  TaskInstanceIndex: num,
  StdoutLog: optStr,
  StderrLog: optStr,
  StdoutRedirectPath: optStr,
  StderrRedirectPath: optStr,
  StdoutRedirectFileName: optStr,
  StderrRedirectFileName: optStr,
}).passthrough();
export type TaskInstanceLog = z.infer<typeof TaskInstanceLogSchema>;

export const RequestIdOnlySchema = z.object({ RequestId: str }).passthrough();

/** SubmitJob / CreateComputeEnv: the id of what was created. */
export const SubmittedJobSchema = loose({ JobId: str.min(1), RequestId: str });
export const CreatedEnvSchema = loose({ EnvId: str.min(1), RequestId: str });

const RedirectInfoSchema = loose({
  StdoutRedirectPath: optStr,
  StderrRedirectPath: optStr,
  StdoutRedirectFileName: optStr,
  StderrRedirectFileName: optStr,
});

/** DescribeJobSubmitInfo: the request as submitted; the jobs API reads each task's RedirectInfo. */
export const JobSubmitInfoSchema = loose({
  JobId: optStr,
  Tasks: z.array(loose({ TaskName: str, RedirectInfo: RedirectInfoSchema.nullish() })).nullish(),
  RequestId: str,
});

/** DescribeComputeEnvCreateInfo: the request as created; envs and cost-report read its instance types. */
export const ComputeEnvCreateInfoSchema = loose({
  EnvId: optStr,
  EnvData: loose({
    InstanceType: optStr,
    InstanceTypes: z.array(str).nullish(),
    InstanceTypeOptions: loose({ CPU: num, Memory: num }).nullish(),
  }).nullish(),
  RequestId: str,
});

export const page = <T extends z.ZodTypeAny>(key: string, item: T) =>
  z.object({ [key]: z.array(item), TotalCount: num, RequestId: str }).passthrough();
