// The jobs API's payloads. The POST /jobs body is the SubmitJob request callers already know
// (SDK field names, API version 2017-03-12); objects are strict so a misspelt field is named
// instead of silently dropped, except the CVM details of EnvData that Batch passes to CVM.
// Rules that span fields (paths, regions, EnvId xor ComputeEnv, the DAG) live in ./validate.
import { z } from "zod";
import { JOB_STATES } from "../../shared/batch/models";
import { ClientTokenSchema } from "../../shared/idempotency";
import { JOB_ID } from "../../shared/schemas/ids";
import { ImageIdSchema } from "../../shared/schemas/image";
import { LIMITS } from "../../shared/schemas/limits";
import { NotificationSchema, NotificationTargetSchema } from "../../shared/schemas/notifications";
import { TagInputSchema } from "../../shared/schemas/tags";
import { ZoneSchema } from "../../shared/schemas/zone";
import { queryBool, queryInt, queryList, queryStr } from "../../shared/http";

/** DescribeTask lists at most 1,000 instances a call. */
export const INSTANCE_PAGE_MAX = 1000;

const TASK_NAME = /^[^/\\\u0000]+$/;

const str = (max?: number) => (max === undefined ? z.string() : z.string().max(max, { message: `must be at most ${max} characters` }));
const nonEmpty = (max?: number) => str(max).min(1, { message: "must not be empty" });
const int = (min: number, max?: number) => {
  const base = z.number({ invalid_type_error: "must be an integer" }).int({ message: "must be an integer" }).min(min, { message: `must be at least ${min}` });
  return max === undefined ? base : base.max(max, { message: `must be at most ${max}` });
};

const KeyValueSchema = z.object({ Name: nonEmpty(), Value: z.string() }).strict();

const RedirectInfoSchema = z
  .object({
    StdoutRedirectPath: z.string().optional(),
    StderrRedirectPath: z.string().optional(),
    StdoutRedirectFileName: str(255).optional(),
    StderrRedirectFileName: str(255).optional(),
  })
  .strict();

const RedirectLocalInfoSchema = z
  .object({
    StdoutLocalPath: z.string().optional(),
    StderrLocalPath: z.string().optional(),
    StdoutLocalFileName: z.string().optional(),
    StderrLocalFileName: z.string().optional(),
  })
  .strict();

const DockerSchema = z
  .object({
    Image: nonEmpty(),
    User: z.string().optional(),
    Password: z.string().optional(),
    Server: z.string().optional(),
    MaxRetryCount: int(0).optional(),
    DelayOnRetry: int(0).optional(),
    DockerRunOption: z.string().optional(),
  })
  .strict();

const ApplicationSchema = z
  .object({
    DeliveryForm: z.enum(["LOCAL", "PACKAGE"]),
    Command: nonEmpty().optional(),
    Commands: z.array(z.object({ Command: nonEmpty() }).strict()).min(1, { message: "needs at least one command" }).max(100).optional(),
    PackagePath: z.string().optional(),
    Docker: DockerSchema.optional(),
  })
  .strict();

const EnvDataSchema = z
  .object({
    InstanceType: z.string().optional(),
    InstanceTypes: z.array(z.string()).min(1).max(10).optional(),
    InstanceTypeOptions: z.object({ CPU: int(1), Memory: int(1), InstanceCategories: z.array(z.string()).optional() }).passthrough().optional(),
    ImageId: ImageIdSchema.optional(),
    InstanceChargeType: z.enum(["POSTPAID_BY_HOUR", "SPOTPAID"]).optional(),
  })
  .passthrough();

const AnonymousComputeEnvSchema = z
  .object({
    EnvType: z.literal("MANAGED", { errorMap: () => ({ message: "an anonymous compute environment is MANAGED" }) }).optional(),
    EnvData: EnvDataSchema,
    MountDataDisks: z.array(z.object({ LocalPath: z.string(), FileSystemType: z.enum(["EXT3", "EXT4", "NTFS"]).optional() }).strict()).optional(),
    AgentRunningMode: z.object({}).passthrough().optional(),
  })
  .strict();

const InputMappingSchema = z
  .object({
    SourcePath: z.string(),
    DestinationPath: z.string(),
    MountOptionParameter: z.string().optional(),
    MountType: z.enum(["COSFS", "GooseFS-Lite"]).optional(),
  })
  .strict();

const OutputMappingSchema = z
  .object({
    SourcePath: z.string(),
    DestinationPath: z.string(),
    OutputMappingOption: z.object({ Workspace: z.enum(["BATCH_WORKSPACE", "GLOBAL_WORKSPACE"]).optional() }).strict().optional(),
  })
  .strict();

const AuthenticationSchema = z.object({ Scene: nonEmpty(), SecretId: nonEmpty(), SecretKey: nonEmpty() }).strict();

export const TaskSchema = z
  .object({
    TaskName: nonEmpty(LIMITS.taskName).regex(TASK_NAME, { message: "a task name may not contain /, \\ or NUL" }),
    Application: ApplicationSchema,
    TaskInstanceNum: int(1).optional(),
    ComputeEnv: AnonymousComputeEnvSchema.optional(),
    EnvId: z.string().optional(),
    RedirectInfo: RedirectInfoSchema.optional(),
    RedirectLocalInfo: RedirectLocalInfoSchema.optional(),
    InputMappings: z.array(InputMappingSchema).optional(),
    OutputMappings: z.array(OutputMappingSchema).optional(),
    OutputMappingConfigs: z.array(z.object({ Scene: z.literal("COS"), WorkerNum: int(1), WorkerPartSize: int(1) }).strict()).optional(),
    EnvVars: z.array(KeyValueSchema).optional(),
    Authentications: z.array(AuthenticationSchema).optional(),
    FailedAction: z.enum(["TERMINATE", "INTERRUPT", "FAST_INTERRUPT"]).optional(),
    MaxRetryCount: int(0).optional(),
    Timeout: int(1).optional(),
    MaxConcurrentNum: int(1).optional(),
    RestartComputeNode: z.boolean().optional(),
    ResourceMaxRetryCount: int(0, 100).optional(),
  })
  .strict();

/** "1" (the user guide's example) and 1 (the SDK's type) alike. */
const PrioritySchema = z
  .union([z.number(), z.string().regex(/^\s*-?\d+\s*$/, { message: "must be an integer" })])
  .transform((v) => (typeof v === "string" ? Number(v.trim()) : v))
  .pipe(int(LIMITS.priorityMin, LIMITS.priorityMax));

export const JobSchema = z
  .object({
    JobName: str(LIMITS.jobName).optional(),
    JobDescription: str(LIMITS.jobDescription).optional(),
    Priority: PrioritySchema.optional(),
    Tasks: z.array(TaskSchema).min(1, { message: "needs at least one task" }).max(100),
    Dependences: z.array(z.object({ StartTask: nonEmpty(), EndTask: nonEmpty() }).strict()).optional(),
    Notifications: z.array(NotificationSchema).max(10).optional(),
    NotificationTarget: NotificationTargetSchema.optional(),
    TaskExecutionDependOn: z.enum(["PRE_TASK_SUCCEED", "PRE_TASK_AT_LEAST_PARTLY_SUCCEED", "PRE_TASK_FINISHED"]).optional(),
    StateIfCreateCvmFailed: z.enum(["FAILED", "RUNNABLE"]).optional(),
    Tags: z.array(TagInputSchema).optional(),
  })
  .strict();

export const SubmitJobBodySchema = z
  .object({
    Placement: z
      .object({
        Zone: ZoneSchema,
        ProjectId: int(0).optional(),
      })
      .strict(),
    Job: JobSchema,
    ClientToken: ClientTokenSchema.optional(),
  })
  .strict();
export type SubmitJobBody = z.infer<typeof SubmitJobBodySchema>;

// ── query strings ────────────────────────────────────────────────────────────────────

export const SubmitQuerySchema = z.object({
  dryRun: queryBool().describe("validate and return the exact SubmitJob request, submitting nothing"),
});

export const ListQuerySchema = z.object({
  state: queryList()
    .refine((v) => !v || v.every((s) => (JOB_STATES as readonly string[]).includes(s)), {
      message: `each state is one of ${JOB_STATES.join(", ")}`,
    })
    .describe("job state(s); repeat or comma-separate"),
  name: queryStr(LIMITS.jobName).describe("job name (exact)"),
  zone: queryStr(64).describe("availability zone"),
  tag: queryList(400).describe("`key=value` or `key`; repeat to AND"),
  submitter: queryStr(64).describe("API key name that submitted the job"),
  offset: queryInt(0, 1_000_000),
  limit: queryInt(1, LIMITS.pageLimit).describe("page size, 1-100 (default 20)"),
});

export const GetQuerySchema = z.object({
  instances: queryBool().describe("include per-instance states (default true; one DescribeTask per task)"),
});

const taskQuery = queryStr(LIMITS.taskName)
  .refine((v) => v === undefined || v === "" || TASK_NAME.test(v), { message: "a task name may not contain /, \\ or NUL" })
  .describe("task name; optional when the job has one task");

export const LogsQuerySchema = z.object({
  task: taskQuery,
  index: queryInt(0, 100_000).describe("task instance index; default: the first 10 instances"),
  offset: queryInt(0, 100_000).describe("first instance index when no index is given"),
});

export const InstancesQuerySchema = z.object({
  task: taskQuery,
  offset: queryInt(0, 1_000_000).describe("first instance of the page (default 0)"),
  limit: queryInt(1, INSTANCE_PAGE_MAX).describe(`page size, 1-${INSTANCE_PAGE_MAX} (default 100)`),
});

export const JobIdSchema = z.string().regex(JOB_ID, { message: "a job id looks like job-xxxxxxxx" });

// ── responses (for the OpenAPI document) ─────────────────────────────────────────────

const TagSchema = z.object({ Key: z.string(), Value: z.string() });
const MetricsSchema = z.record(z.string(), z.number());

export const SubmitResponseSchema = z.object({
  JobId: z.string(),
  Submitter: z.string(),
  Replayed: z.boolean().describe("true when an earlier request with the same Idempotency-Key created the job"),
  RequestId: z.string().optional().describe("Batch's RequestId of the SubmitJob call"),
  Warnings: z.array(z.object({ path: z.string(), message: z.string() })),
});

export const DryRunResponseSchema = z.object({
  DryRun: z.literal(true),
  Submitter: z.string(),
  Request: z.record(z.string(), z.unknown()).describe("the exact SubmitJob request (secrets masked)"),
  Warnings: z.array(z.object({ path: z.string(), message: z.string() })),
});

export const InstanceViewSchema = z.object({
  TaskInstanceIndex: z.number(),
  TaskInstanceState: z.string(),
  ExitCode: z.number().nullable().optional(),
  StateReason: z.string().nullable().optional(),
  ComputeNodeInstanceId: z.string().nullable().optional(),
  CreateTime: z.string().nullable().optional(),
  LaunchTime: z.string().nullable().optional(),
  RunningTime: z.string().nullable().optional(),
  EndTime: z.string().nullable().optional(),
});

export const JobViewResponseSchema = z.object({
  JobId: z.string(),
  JobName: z.string().nullable().optional(),
  JobState: z.string(),
  Zone: z.string().nullable().optional(),
  Priority: z.number().nullable().optional(),
  CreateTime: z.string().nullable().optional(),
  EndTime: z.string().nullable().optional(),
  StateReason: z.string().nullable().optional(),
  Submitter: z.string().nullable(),
  Tags: z.array(TagSchema),
  TaskMetrics: MetricsSchema.nullable().optional(),
  TaskInstanceMetrics: MetricsSchema.nullable().optional(),
  Dependences: z.array(z.object({ StartTask: z.string(), EndTask: z.string() })),
  Tasks: z.array(
    z.object({
      TaskName: z.string(),
      TaskState: z.string(),
      CreateTime: z.string().nullable().optional(),
      EndTime: z.string().nullable().optional(),
      TaskInstanceTotalCount: z.number().optional(),
      TaskInstanceMetrics: MetricsSchema.nullable().optional(),
      Instances: z.array(InstanceViewSchema).optional(),
      InstancesTruncated: z
        .boolean()
        .optional()
        .describe(`true when the task has more instances than the ${INSTANCE_PAGE_MAX} listed here: page through GET /jobs/{JobId}/instances?task=`),
    }),
  ),
});

export const JobListResponseSchema = z.object({
  Jobs: z.array(
    z.object({
      JobId: z.string(),
      JobName: z.string().nullable().optional(),
      JobState: z.string(),
      Priority: z.number().nullable().optional(),
      Zone: z.string().nullable().optional(),
      CreateTime: z.string().nullable().optional(),
      EndTime: z.string().nullable().optional(),
      Submitter: z.string().nullable(),
      TaskMetrics: MetricsSchema.nullable().optional(),
      Tags: z.array(TagSchema),
    }),
  ),
  TotalCount: z.number(),
  Offset: z.number(),
  Limit: z.number(),
  NextOffset: z.number().nullable().describe("offset of the next page, null on the last"),
});

export const InstancesResponseSchema = z.object({
  JobId: z.string(),
  TaskName: z.string(),
  TaskState: z.string(),
  TaskInstanceTotalCount: z.number(),
  Offset: z.number(),
  Limit: z.number(),
  NextOffset: z.number().nullable().describe("offset of the next page, null on the last"),
  Instances: z.array(InstanceViewSchema),
});

export const ActionResponseSchema = z.object({
  JobId: z.string(),
  Action: z.enum(["terminate", "retry", "delete"]),
  PreviousState: z.string(),
  RequestId: z.string().optional(),
});

export const LogsResponseSchema = z.object({
  JobId: z.string(),
  TaskName: z.string(),
  TotalCount: z.number(),
  Instances: z.array(
    z.object({
      TaskInstanceIndex: z.number(),
      Stdout: z.string().describe("the tail Batch keeps (at most 2 KB)"),
      Stderr: z.string(),
      Truncated: z.boolean().describe("true when a tail is at Batch's 2 KB limit: the full log is at FullLog"),
      FullLog: z.object({ Stdout: z.string().nullable(), Stderr: z.string().nullable() }),
    }),
  ),
  Note: z.string(),
});
