// Lenient zod schemas for what the Batch API (2017-03-12) answers.
// Replies cross a boundary, so they are parsed; they are loose (unknown fields pass)
// because Tencent adds fields over time and a new field must never break a function.
import * as z from "../zod";
import { lazy } from "../zod";

/** An object schema that keeps unknown fields (Tencent adds fields over time). */
const loose = <T extends z.core.$ZodLooseShape>(shape: T) => z.looseObject(shape);
const str = z.string();
const optStr = z.nullish(z.string());
const num = z.number();
const count = z.pipe(
  z.nullish(z.number()),
  z.transform((v) => v ?? 0),
);

export const JOB_STATES = ["SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEED", "FAILED", "FAILED_INTERRUPTED"] as const;
export type JobState = (typeof JOB_STATES)[number];

export const TASK_STATES = ["PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEED", "FAILED", "FAILED_INTERRUPTED"] as const;
export type TaskState = (typeof TASK_STATES)[number];

export const NODE_STATES = ["PENDING", "SUBMITTED", "CREATING", "CREATED", "CREATION_FAILED", "RUNNING", "ABNORMAL", "DELETING"] as const;
export type NodeState = (typeof NODE_STATES)[number];

export const ACTIVITY_STATES = ["SUBMITTED", "PROCESSING", "SUCCEED", "FAILED"] as const;

export const TagSchema = /* @__PURE__ */ lazy(() => z.object({ Key: str, Value: str }));
export type Tag = z.infer<typeof TagSchema>;

export const PlacementSchema = /* @__PURE__ */ lazy(() => loose({ Zone: str, ProjectId: z.nullish(z.number()) }));

export const MetricsSchema = /* @__PURE__ */ lazy(() =>
  loose({
    SubmittedCount: count,
    PendingCount: count,
    RunnableCount: count,
    StartingCount: count,
    RunningCount: count,
    SucceedCount: count,
    FailedInterruptedCount: count,
    FailedCount: count,
  }),
);
export type Metrics = z.infer<typeof MetricsSchema>;

export const ComputeNodeSchema = /* @__PURE__ */ lazy(() =>
  z.looseObject({
    ComputeNodeId: str,
    ComputeNodeInstanceId: optStr,
    ComputeNodeState: str,
    Cpu: num,
    Mem: num,
    ResourceCreatedTime: optStr,
    TaskInstanceNumAvailable: count,
    AgentVersion: optStr,
    PrivateIpAddresses: z.nullish(z.array(str)),
    PublicIpAddresses: z.nullish(z.array(str)),
    ResourceType: optStr,
    ResourceOrigin: optStr,
  }),
);
export type ComputeNode = z.infer<typeof ComputeNodeSchema>;

export const ComputeNodeMetricsSchema = /* @__PURE__ */ lazy(() =>
  z.looseObject({
    SubmittedCount: count,
    CreatingCount: count,
    CreationFailedCount: count,
    CreatedCount: count,
    RunningCount: count,
    DeletingCount: count,
    AbnormalCount: count,
  }),
);
export type ComputeNodeMetrics = z.infer<typeof ComputeNodeMetricsSchema>;

export const ComputeEnvSchema = /* @__PURE__ */ lazy(() =>
  z.looseObject({
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
    Tags: z.nullish(z.array(TagSchema)),
    RequestId: str,
  }),
);
export type ComputeEnv = z.infer<typeof ComputeEnvSchema>;

export const ComputeEnvViewSchema = /* @__PURE__ */ lazy(() =>
  z.looseObject({
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
    Tags: z.nullish(z.array(TagSchema)),
  }),
);
export type ComputeEnvView = z.infer<typeof ComputeEnvViewSchema>;

export const ActivitySchema = /* @__PURE__ */ lazy(() =>
  z.looseObject({
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
  }),
);
export type Activity = z.infer<typeof ActivitySchema>;

export const TaskViewSchema = /* @__PURE__ */ lazy(() =>
  z.looseObject({
    TaskName: str,
    TaskState: str,
    CreateTime: optStr,
    EndTime: optStr,
  }),
);

export const JobDetailSchema = /* @__PURE__ */ lazy(() =>
  z.looseObject({
    JobId: str,
    JobName: optStr,
    Zone: optStr,
    Priority: z.nullish(z.number()),
    JobState: str,
    CreateTime: optStr,
    EndTime: optStr,
    TaskSet: z.pipe(
      z.nullish(z.array(TaskViewSchema)),
      z.transform((v) => v ?? []),
    ),
    DependenceSet: z.pipe(
      z.nullish(z.array(loose({ StartTask: str, EndTask: str }))),
      z.transform((v) => v ?? []),
    ),
    TaskMetrics: z.nullish(MetricsSchema),
    TaskInstanceMetrics: z.nullish(MetricsSchema),
    StateReason: optStr,
    Tags: z.nullish(z.array(TagSchema)),
    NextAction: optStr,
    RequestId: str,
  }),
);
export type JobDetail = z.infer<typeof JobDetailSchema>;

export const JobViewSchema = /* @__PURE__ */ lazy(() =>
  z.looseObject({
    JobId: str,
    JobName: optStr,
    JobState: str,
    Priority: z.nullish(z.number()),
    Placement: z.nullish(PlacementSchema),
    CreateTime: optStr,
    EndTime: optStr,
    TaskMetrics: z.nullish(MetricsSchema),
    Tags: z.nullish(z.array(TagSchema)),
  }),
);
export type JobView = z.infer<typeof JobViewSchema>;

export const TaskInstanceViewSchema = /* @__PURE__ */ lazy(() =>
  z.looseObject({
    TaskInstanceIndex: num,
    TaskInstanceState: str,
    ExitCode: z.nullish(z.number()),
    StateReason: optStr,
    ComputeNodeInstanceId: optStr,
    CreateTime: optStr,
    LaunchTime: optStr,
    RunningTime: optStr,
    EndTime: optStr,
    StateDetailedReason: optStr,
  }),
);
export type TaskInstanceView = z.infer<typeof TaskInstanceViewSchema>;

export const TaskDetailSchema = /* @__PURE__ */ lazy(() =>
  z.looseObject({
    JobId: str,
    TaskName: str,
    TaskState: str,
    CreateTime: optStr,
    EndTime: optStr,
    TaskInstanceTotalCount: num,
    TaskInstanceSet: z.array(TaskInstanceViewSchema),
    TaskInstanceMetrics: z.nullish(MetricsSchema),
    RequestId: str,
  }),
);
export type TaskDetail = z.infer<typeof TaskDetailSchema>;

export const TaskInstanceLogSchema = /* @__PURE__ */ lazy(() =>
  z.looseObject({
    TaskInstanceIndex: num,
    StdoutLog: optStr,
    StderrLog: optStr,
    StdoutRedirectPath: optStr,
    StderrRedirectPath: optStr,
    StdoutRedirectFileName: optStr,
    StderrRedirectFileName: optStr,
  }),
);
export type TaskInstanceLog = z.infer<typeof TaskInstanceLogSchema>;

export const RequestIdOnlySchema = /* @__PURE__ */ lazy(() => z.looseObject({ RequestId: str }));

/** SubmitJob / CreateComputeEnv: the id of what was created. */
export const SubmittedJobSchema = /* @__PURE__ */ lazy(() => loose({ JobId: str.check(z.minLength(1)), RequestId: str }));
export const CreatedEnvSchema = /* @__PURE__ */ lazy(() => loose({ EnvId: str.check(z.minLength(1)), RequestId: str }));

const RedirectInfoSchema = /* @__PURE__ */ lazy(() =>
  loose({
    StdoutRedirectPath: optStr,
    StderrRedirectPath: optStr,
    StdoutRedirectFileName: optStr,
    StderrRedirectFileName: optStr,
  }),
);

/** DescribeJobSubmitInfo: the request as submitted; the jobs API reads each task's RedirectInfo. */
export const JobSubmitInfoSchema = /* @__PURE__ */ lazy(() =>
  loose({
    JobId: optStr,
    Tasks: z.nullish(z.array(loose({ TaskName: str, RedirectInfo: z.nullish(RedirectInfoSchema) }))),
    RequestId: str,
  }),
);

/** DescribeComputeEnvCreateInfo: the request as created; envs and cost-report read its instance types. */
export const ComputeEnvCreateInfoSchema = /* @__PURE__ */ lazy(() =>
  loose({
    EnvId: optStr,
    EnvDescription: optStr,
    EnvData: z.nullish(
      loose({
        InstanceType: optStr,
        InstanceTypes: z.nullish(z.array(str)),
        InstanceTypeOptions: z.nullish(loose({ CPU: num, Memory: num })),
      }),
    ),
    RequestId: str,
  }),
);

const pageOf = (key: string, item: z.core.$ZodType) => z.looseObject({ [key]: z.array(item), TotalCount: num, RequestId: str });
const pages = new WeakMap<z.core.$ZodType, Map<string, ReturnType<typeof pageOf>>>();

/** A page of `item`s under `key` (one Batch action's reply), built on its first reply and kept. */
export const page = (key: string, item: z.core.$ZodType): ReturnType<typeof pageOf> => {
  const byKey = pages.get(item) ?? new Map<string, ReturnType<typeof pageOf>>();
  pages.set(item, byKey);
  const schema = byKey.get(key) ?? pageOf(key, item);
  byKey.set(key, schema);
  return schema;
};
