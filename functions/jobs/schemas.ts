// The jobs API's payloads. The POST /jobs body is the SubmitJob request callers already know
// (SDK field names, API version 2017-03-12); objects are strict so a misspelt field is named
// instead of silently dropped, except the CVM details of EnvData that Batch passes to CVM.
// Rules that span fields (paths, regions, EnvId xor ComputeEnv, the DAG) live in ./validate.
import * as z from "../../shared/zod";
import { lazy, typeError } from "../../shared/zod";
import { JOB_STATES } from "../../shared/batch/models";
import { ClientTokenSchema } from "../../shared/idempotency";
import { JOB_ID } from "../../shared/schemas/ids";
import { ImageIdSchema } from "../../shared/schemas/image";
import { LIMITS } from "../../shared/schemas/limits";
import { NotificationSchema, NotificationTargetSchema } from "../../shared/schemas/notifications";
import { TAG_VALUE_MAX, TagInputSchema, tagFiltersCheck } from "../../shared/schemas/tags";
import { ZoneSchema } from "../../shared/schemas/zone";
import { regionQuery } from "../../shared/http/region-query";
import { queryBool, queryInt, queryList, queryStr } from "../../shared/http";
import { DOCS } from "../../shared/docs";
import { doc } from "../../shared/zod";
import { MAX_NOTIFICATIONS } from "./notify";

/** DescribeTask lists at most 1,000 instances a call. */
export const INSTANCE_PAGE_MAX = 1000;

const TASK_NAME = /^[^/\\\u0000]+$/;

const str = (max?: number) => (max === undefined ? z.string() : z.string().check(z.maxLength(max, { message: `must be at most ${max} characters` })));
const nonEmpty = (max?: number) => str(max).check(z.minLength(1, { message: "must not be empty" }));
const int = (min: number, max?: number) => {
  const base = z.integer(typeError("must be an integer")).check(z.gte(min, { message: `must be at least ${min}` }));
  return max === undefined ? base : base.check(z.lte(max, { message: `must be at most ${max}` }));
};

const KeyValueSchema = lazy(() => z.strictObject({ Name: nonEmpty(), Value: z.string() }));

const RedirectInfoSchema = lazy(() =>
  z.strictObject({
    StdoutRedirectPath: z.optional(z.string()),
    StderrRedirectPath: z.optional(z.string()),
    StdoutRedirectFileName: z.optional(str(255)),
    StderrRedirectFileName: z.optional(str(255)),
  }),
);

const RedirectLocalInfoSchema = lazy(() =>
  z.strictObject({
    StdoutLocalPath: z.optional(z.string()),
    StderrLocalPath: z.optional(z.string()),
    StdoutLocalFileName: z.optional(z.string()),
    StderrLocalFileName: z.optional(z.string()),
  }),
);

const DockerSchema = lazy(() =>
  z.strictObject({
    Image: nonEmpty(),
    User: z.optional(z.string()),
    Password: z.optional(z.string()),
    Server: z.optional(z.string()),
    MaxRetryCount: z.optional(int(0)),
    DelayOnRetry: z.optional(int(0)),
    DockerRunOption: z.optional(z.string()),
  }),
);

const ApplicationSchema = lazy(() =>
  z.strictObject({
    DeliveryForm: z.enum(["LOCAL", "PACKAGE"]),
    Command: z.optional(nonEmpty()),
    Commands: z.optional(z.array(z.strictObject({ Command: nonEmpty() })).check(z.minLength(1, { message: "needs at least one command" }), z.maxLength(100))),
    PackagePath: z.optional(z.string()),
    Docker: z.optional(DockerSchema),
  }),
);

const EnvDataSchema = lazy(() =>
  z.looseObject({
    InstanceType: z.optional(z.string()),
    InstanceTypes: z.optional(z.array(z.string()).check(z.minLength(1), z.maxLength(10))),
    InstanceTypeOptions: z.optional(z.looseObject({ CPU: int(1), Memory: int(1), InstanceCategories: z.optional(z.array(z.string())) })),
    ImageId: z.optional(ImageIdSchema),
    InstanceChargeType: z.optional(z.enum(["POSTPAID_BY_HOUR", "SPOTPAID"])),
  }),
);

const AnonymousComputeEnvSchema = lazy(() =>
  z.strictObject({
    EnvType: z.optional(z.literal("MANAGED", { error: "an anonymous compute environment is MANAGED" })),
    EnvData: EnvDataSchema,
    MountDataDisks: z.optional(z.array(z.strictObject({ LocalPath: z.string(), FileSystemType: z.optional(z.enum(["EXT3", "EXT4", "NTFS"])) }))),
    AgentRunningMode: z.optional(z.looseObject({})),
  }),
);

const InputMappingSchema = lazy(() =>
  z.strictObject({
    SourcePath: z.string(),
    DestinationPath: z.string(),
    MountOptionParameter: z.optional(z.string()),
    MountType: z.optional(z.enum(["COSFS", "GooseFS-Lite"])),
  }),
);

const OutputMappingSchema = lazy(() =>
  z.strictObject({
    SourcePath: z.string(),
    DestinationPath: z.string(),
    OutputMappingOption: z.optional(z.strictObject({ Workspace: z.optional(z.enum(["BATCH_WORKSPACE", "GLOBAL_WORKSPACE"])) })),
  }),
);

const AuthenticationSchema = lazy(() => z.strictObject({ Scene: nonEmpty(), SecretId: nonEmpty(), SecretKey: nonEmpty() }));

export const TaskSchema = lazy(() =>
  z.strictObject({
    TaskName: nonEmpty(LIMITS.taskName).check(z.regex(TASK_NAME, { message: "a task name may not contain /, \\ or NUL" })),
    Application: ApplicationSchema,
    TaskInstanceNum: z.optional(int(1)),
    ComputeEnv: z.optional(AnonymousComputeEnvSchema),
    EnvId: z.optional(z.string()),
    RedirectInfo: z.optional(RedirectInfoSchema),
    RedirectLocalInfo: z.optional(RedirectLocalInfoSchema),
    InputMappings: z.optional(z.array(InputMappingSchema)),
    OutputMappings: z.optional(z.array(OutputMappingSchema)),
    OutputMappingConfigs: z.optional(z.array(z.strictObject({ Scene: z.literal("COS"), WorkerNum: int(1), WorkerPartSize: int(1) }))),
    EnvVars: z.optional(z.array(KeyValueSchema)),
    Authentications: z.optional(z.array(AuthenticationSchema)),
    FailedAction: z.optional(z.enum(["TERMINATE", "INTERRUPT", "FAST_INTERRUPT"])),
    MaxRetryCount: z.optional(int(0)),
    Timeout: z.optional(int(1)),
    MaxConcurrentNum: z.optional(int(1)),
    RestartComputeNode: z.optional(z.boolean()),
    ResourceMaxRetryCount: z.optional(int(0, 100)),
  }),
);

/** "1" (the user guide's example) and 1 (the SDK's type) alike. */
const PrioritySchema = lazy(() =>
  z.pipe(
    z.pipe(
      z.union([z.number(), z.string().check(z.regex(/^\s*-?\d+\s*$/, { message: "must be an integer" }))]),
      z.transform((v) => (typeof v === "string" ? Number(v.trim()) : v)),
    ),
    int(LIMITS.priorityMin, LIMITS.priorityMax),
  ),
);

export const JobSchema = lazy(() =>
  z.strictObject({
    JobName: z.optional(str(LIMITS.jobName)),
    JobDescription: z.optional(str(LIMITS.jobDescription)),
    Priority: z.optional(PrioritySchema),
    Tasks: z.array(TaskSchema).check(z.minLength(1, { message: "needs at least one task" }), z.maxLength(100)),
    Dependences: z.optional(z.array(z.strictObject({ StartTask: nonEmpty(), EndTask: nonEmpty() }))),
    Notifications: z.optional(z.array(NotificationSchema).check(z.maxLength(MAX_NOTIFICATIONS))),
    NotificationTarget: z.optional(NotificationTargetSchema),
    TaskExecutionDependOn: z.optional(z.enum(["PRE_TASK_SUCCEED", "PRE_TASK_AT_LEAST_PARTLY_SUCCEED", "PRE_TASK_FINISHED"])),
    StateIfCreateCvmFailed: z.optional(z.enum(["FAILED", "RUNNABLE"])),
    Tags: z.optional(z.array(TagInputSchema)),
  }),
);

export const SubmitJobBodySchema = lazy(() =>
  z.strictObject({
    Placement: z.strictObject({
      Zone: ZoneSchema,
      ProjectId: z.optional(int(0)),
    }),
    Job: JobSchema,
    ClientToken: z.optional(ClientTokenSchema),
    Notify: z.optional(
      z.strictObject({
        Url: z
          .string()
          .check(
            z.minLength(1, { message: "must not be empty" }),
            z.maxLength(TAG_VALUE_MAX, { message: `is kept in a job tag, so at most ${TAG_VALUE_MAX} characters` }),
            ...doc(DOCS && "where the job's events are POSTed, signed per Standard Webhooks: https (plain http only to loopback locally)"),
          ),
        Events: z.optional(
          z
            .array(z.string())
            .check(z.minLength(1), ...doc(DOCS && "job or task event names, either spelling; default JOB_SUCCEED, JOB_FAILED, JOB_FAILED_INTERRUPTED")),
        ),
      }),
    ),
  }),
);
export type SubmitJobBody = z.infer<typeof SubmitJobBodySchema>;

// ── query strings ────────────────────────────────────────────────────────────────────

const JOB_REGION = "the job's region; without it the job is looked up in every served region (BATCH_REGIONS)";

export const SubmitQuerySchema = lazy(() =>
  z.object({
    dryRun: queryBool().check(...doc(DOCS && "validate and return the exact SubmitJob request, submitting nothing")),
  }),
);

export const ListQuerySchema = lazy(() =>
  z.object({
    state: queryList().check(
      z.refine((v) => !v || v.every((s) => (JOB_STATES as readonly string[]).includes(s)), {
        message: `each state is one of ${JOB_STATES.join(", ")}`,
      }),
      ...doc(DOCS && "job state(s); repeat or comma-separate"),
    ),
    name: queryStr(LIMITS.jobName).check(...doc(DOCS && "job name (exact)")),
    zone: queryStr(64).check(...doc(DOCS && "availability zone")),
    tag: queryList(400).check(tagFiltersCheck(), ...doc(DOCS && `\`key=value\` or \`key\`; repeat to AND (at most ${LIMITS.filters} filters in all)`)),
    submitter: queryStr(64).check(...doc(DOCS && "API key name that submitted the job")),
    region: regionQuery("only this served region (a zone narrows to its region too)"),
    cursor: queryStr(1024).check(...doc(DOCS && "NextCursor of the previous page: per-region offsets (the way to page across regions)")),
    offset: queryInt(0, 1_000_000).check(...doc(DOCS && "first job of the page when the listing covers one region")),
    limit: queryInt(1, LIMITS.pageLimit).check(...doc(DOCS && "page size, 1-100 (default 20)")),
  }),
);

/** The longest `?timeout=` of a long-poll, in seconds: under the jobs function's 30 s timeout (serverless.yml). */
export const WAIT_MAX_SECONDS = 25;

export const GetQuerySchema = lazy(() =>
  z.object({
    instances: queryBool().check(...doc(DOCS && "include per-instance states (default true; one DescribeTask per task)")),
    waitFor: queryList().check(
      z.refine((v) => !v || v.every((s) => (JOB_STATES as readonly string[]).includes(s)), {
        message: `each state is one of ${JOB_STATES.join(", ")}`,
      }),
      ...doc(DOCS && "long-poll: answer as soon as the job is in one of these states (or at the timeout)"),
    ),
    timeout: queryInt(1, WAIT_MAX_SECONDS).check(...doc(DOCS && `seconds to wait with waitFor (default ${WAIT_MAX_SECONDS}, at most ${WAIT_MAX_SECONDS})`)),
    region: regionQuery(JOB_REGION),
  }),
);

const taskQuery = () =>
  queryStr(LIMITS.taskName).check(
    z.refine((v) => v === undefined || v === "" || TASK_NAME.test(v), { message: "a task name may not contain /, \\ or NUL" }),
    ...doc(DOCS && "task name; optional when the job has one task"),
  );

export const LogsQuerySchema = lazy(() =>
  z.object({
    task: taskQuery(),
    index: queryInt(0, 100_000).check(...doc(DOCS && "task instance index; default: the first 10 instances")),
    offset: queryInt(0, 100_000).check(...doc(DOCS && "first instance index when no index is given")),
    region: regionQuery(JOB_REGION),
  }),
);

export const InstancesQuerySchema = lazy(() =>
  z.object({
    task: taskQuery(),
    offset: queryInt(0, 1_000_000).check(...doc(DOCS && "first instance of the page (default 0)")),
    limit: queryInt(1, INSTANCE_PAGE_MAX).check(...doc(DOCS && `page size, 1-${INSTANCE_PAGE_MAX} (default 100)`)),
    region: regionQuery(JOB_REGION),
  }),
);

export const ActionQuerySchema = lazy(() => z.object({ region: regionQuery(JOB_REGION) }));

export const JobIdSchema = lazy(() => z.string().check(z.regex(JOB_ID, { message: "a job id looks like job-xxxxxxxx" })));

// ── responses (for the OpenAPI document) ─────────────────────────────────────────────

const TagSchema = lazy(() => z.object({ Key: z.string(), Value: z.string() }));
const MetricsSchema = lazy(() => z.record(z.string(), z.number()));

export const SubmitResponseSchema = lazy(() =>
  z.object({
    JobId: z.string(),
    Region: z.string().check(...doc(DOCS && "the region of Placement.Zone, where the job was submitted")),
    Submitter: z.string(),
    Replayed: z.boolean().check(...doc(DOCS && "true when an earlier request with the same Idempotency-Key created the job")),
    RequestId: z.optional(z.string()).check(...doc(DOCS && "Batch's RequestId of the SubmitJob call")),
    Warnings: z.array(z.object({ path: z.string(), message: z.string() })),
  }),
);

export const DryRunResponseSchema = lazy(() =>
  z.object({
    DryRun: z.literal(true),
    Region: z.string().check(...doc(DOCS && "the region the request would be sent to (that of Placement.Zone)")),
    Submitter: z.string(),
    Request: z.record(z.string(), z.unknown()).check(...doc(DOCS && "the exact SubmitJob request (secrets masked)")),
    Warnings: z.array(z.object({ path: z.string(), message: z.string() })),
  }),
);

export const InstanceViewSchema = lazy(() =>
  z.object({
    TaskInstanceIndex: z.number(),
    TaskInstanceState: z.string(),
    ExitCode: z.optional(z.nullable(z.number())),
    StateReason: z.optional(z.nullable(z.string())),
    ComputeNodeInstanceId: z.optional(z.nullable(z.string())),
    CreateTime: z.optional(z.nullable(z.string())),
    LaunchTime: z.optional(z.nullable(z.string())),
    RunningTime: z.optional(z.nullable(z.string())),
    EndTime: z.optional(z.nullable(z.string())),
  }),
);

export const JobViewResponseSchema = lazy(() =>
  z.object({
    JobId: z.string(),
    JobName: z.optional(z.nullable(z.string())),
    JobState: z.string(),
    Region: z.string(),
    Zone: z.optional(z.nullable(z.string())),
    Priority: z.optional(z.nullable(z.number())),
    CreateTime: z.optional(z.nullable(z.string())),
    EndTime: z.optional(z.nullable(z.string())),
    StateReason: z.optional(z.nullable(z.string())),
    Submitter: z.nullable(z.string()),
    Tags: z.array(TagSchema),
    TaskMetrics: z.optional(z.nullable(MetricsSchema)),
    TaskInstanceMetrics: z.optional(z.nullable(MetricsSchema)),
    Dependences: z.array(z.object({ StartTask: z.string(), EndTask: z.string() })),
    Tasks: z.array(
      z.object({
        TaskName: z.string(),
        TaskState: z.string(),
        CreateTime: z.optional(z.nullable(z.string())),
        EndTime: z.optional(z.nullable(z.string())),
        TaskInstanceTotalCount: z.optional(z.number()),
        TaskInstanceMetrics: z.optional(z.nullable(MetricsSchema)),
        Instances: z.optional(z.array(InstanceViewSchema)),
        InstancesTruncated: z
          .optional(z.boolean())
          .check(...doc(DOCS && `true when the task has more instances than the ${INSTANCE_PAGE_MAX} listed here: page through GET /jobs/{JobId}/instances?task=`)),
      }),
    ),
    Wait: z.optional(
      z
        .object({ For: z.array(z.string()), Reached: z.boolean(), Seconds: z.number(), Reads: z.number() })
        .check(...doc(DOCS && "with ?waitFor=: whether the job reached one of the states, after how long, and how many DescribeJob reads it took")),
    ),
  }),
);

export const JobListResponseSchema = lazy(() =>
  z.object({
    Jobs: z.array(
      z.object({
        JobId: z.string(),
        JobName: z.optional(z.nullable(z.string())),
        JobState: z.string(),
        Region: z.string(),
        Priority: z.optional(z.nullable(z.number())),
        Zone: z.optional(z.nullable(z.string())),
        CreateTime: z.optional(z.nullable(z.string())),
        EndTime: z.optional(z.nullable(z.string())),
        Submitter: z.nullable(z.string()),
        TaskMetrics: z.optional(z.nullable(MetricsSchema)),
        Tags: z.array(TagSchema),
      }),
    ),
    TotalCount: z.number(),
    Offset: z.number(),
    Limit: z.number(),
    NextOffset: z
      .nullable(z.number())
      .check(...doc(DOCS && "offset of the next page, null on the last (across several regions: the page's position, page on with NextCursor)")),
    NextCursor: z.nullable(z.string()).check(...doc(DOCS && "pass as ?cursor= for the next page (any listing), null on the last")),
  }),
);

export const InstancesResponseSchema = lazy(() =>
  z.object({
    JobId: z.string(),
    TaskName: z.string(),
    TaskState: z.string(),
    TaskInstanceTotalCount: z.number(),
    Offset: z.number(),
    Limit: z.number(),
    NextOffset: z.nullable(z.number()).check(...doc(DOCS && "offset of the next page, null on the last")),
    Instances: z.array(InstanceViewSchema),
  }),
);

export const ActionResponseSchema = lazy(() =>
  z.object({
    JobId: z.string(),
    Action: z.enum(["terminate", "retry", "delete"]),
    Region: z.string(),
    PreviousState: z.string(),
    RequestId: z.optional(z.string()),
  }),
);

export const LogsResponseSchema = lazy(() =>
  z.object({
    JobId: z.string(),
    TaskName: z.string(),
    TotalCount: z.number(),
    Instances: z.array(
      z.object({
        TaskInstanceIndex: z.number(),
        Stdout: z.string().check(...doc(DOCS && "the tail Batch keeps (at most 2 KB)")),
        Stderr: z.string(),
        Truncated: z.boolean().check(...doc(DOCS && "true when a tail is at Batch's 2 KB limit: the full log is at FullLog")),
        FullLog: z.object({ Stdout: z.nullable(z.string()), Stderr: z.nullable(z.string()) }),
      }),
    ),
    Note: z.string(),
  }),
);
