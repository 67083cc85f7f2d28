// The Batch port's operations, one export each (named as the port's method), over the adapter's
// one call core (./tencent-adapter: quota, retries, error mapping, reply validation, shared reads).
// A function builds its port from the operations it calls (`portOf`), so its bundle carries those
// operations and their reply schemas (./models), and no others.
import { randomUUID } from "node:crypto";
import type {
  DescribeComputeEnvCreateInfoResponse,
  DescribeJobSubmitInfoResponse,
} from "tencentcloud-sdk-nodejs/tencentcloud/services/batch/v20170312/batch_models";
import {
  ActivitySchema,
  ComputeEnvCreateInfoSchema,
  ComputeEnvSchema,
  ComputeEnvViewSchema,
  CreatedEnvSchema,
  JobDetailSchema,
  JobSubmitInfoSchema,
  JobViewSchema,
  SubmittedJobSchema,
  TaskDetailSchema,
  TaskInstanceLogSchema,
} from "./models";
import type { BatchPort } from "./port";
import type { BatchCore } from "./tencent-adapter";

/** One method of the port, made over a call core. */
export type Operation<K extends keyof BatchPort> = (core: BatchCore) => BatchPort[K];
/** Some of the port's operations, each under its method's name. */
export type Operations = { [K in keyof BatchPort]?: Operation<K> };
/** The port that `operations` make: their methods, and no others. */
export type PortOf<O extends Operations> = Pick<BatchPort, keyof O & keyof BatchPort>;

const clean = <T extends Record<string, unknown>>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** Retries of a create must never create a second one: a ClientToken is always sent. */
const withToken = <R extends { ClientToken?: string }>(req: R): R => ({ ...req, ClientToken: req.ClientToken ?? randomUUID() });

// ── jobs ─────────────────────────────────────────────────────────────────────────────

export const submitJob: Operation<"submitJob"> = (core) => async (req) => {
  const r = await core.parsed("SubmitJob", withToken(req), SubmittedJobSchema);
  return { jobId: r.JobId, requestId: r.RequestId };
};
export const getJob: Operation<"getJob"> = (core) => (jobId) => core.parsed("DescribeJob", { JobId: jobId }, JobDetailSchema);
export const listJobs: Operation<"listJobs"> = (core) => (q) =>
  core.paged("DescribeJobs", "JobSet", JobViewSchema, clean({ JobIds: q.jobIds, Filters: q.filters, Offset: q.offset, Limit: q.limit }));
// Checked where the functions read it; the SDK's type names the rest of the request as submitted.
export const getJobSubmitInfo: Operation<"getJobSubmitInfo"> = (core) => async (jobId) =>
  (await core.parsed("DescribeJobSubmitInfo", { JobId: jobId }, JobSubmitInfoSchema)) as DescribeJobSubmitInfoResponse;
export const terminateJob: Operation<"terminateJob"> = (core) => (jobId) => core.ack("TerminateJob", { JobId: jobId });
export const deleteJob: Operation<"deleteJob"> = (core) => (jobId) => core.ack("DeleteJob", { JobId: jobId });
export const retryJobs: Operation<"retryJobs"> = (core) => (jobIds) => core.ack("RetryJobs", { JobIds: jobIds });
export const getTask: Operation<"getTask"> =
  (core) =>
  (jobId, taskName, q = {}) =>
    core.parsed("DescribeTask", clean({ JobId: jobId, TaskName: taskName, Offset: q.offset, Limit: q.limit }), TaskDetailSchema);
export const getTaskLogs: Operation<"getTaskLogs"> = (core) => (jobId, taskName, q) =>
  core.paged(
    "DescribeTaskLogs",
    "TaskInstanceLogSet",
    TaskInstanceLogSchema,
    clean({ JobId: jobId, TaskName: taskName, TaskInstanceIndexes: q.indexes, Offset: q.offset, Limit: q.limit }),
  );

// ── compute environments ─────────────────────────────────────────────────────────────

export const createEnv: Operation<"createEnv"> = (core) => async (req) => {
  const r = await core.parsed("CreateComputeEnv", withToken(req), CreatedEnvSchema);
  return { envId: r.EnvId, requestId: r.RequestId };
};
export const getEnv: Operation<"getEnv"> = (core) => (envId) => core.parsed("DescribeComputeEnv", { EnvId: envId }, ComputeEnvSchema);
export const getEnvCreateInfo: Operation<"getEnvCreateInfo"> = (core) => async (envId) =>
  (await core.parsed("DescribeComputeEnvCreateInfo", { EnvId: envId }, ComputeEnvCreateInfoSchema)) as DescribeComputeEnvCreateInfoResponse;
export const listEnvs: Operation<"listEnvs"> = (core) => (q) =>
  core.paged("DescribeComputeEnvs", "ComputeEnvSet", ComputeEnvViewSchema, clean({ EnvIds: q.envIds, Filters: q.filters, Offset: q.offset, Limit: q.limit }));
export const setDesiredNodes: Operation<"setDesiredNodes"> = (core) => (envId, desired, opts) =>
  core.ack("ModifyComputeEnv", clean({ EnvId: envId, DesiredComputeNodeCount: desired, EnvDescription: opts?.description }));
export const renameEnv: Operation<"renameEnv"> = (core) => (envId, change) =>
  core.ack("ModifyComputeEnv", clean({ EnvId: envId, EnvName: change.name, EnvDescription: change.description }));
export const deleteEnv: Operation<"deleteEnv"> = (core) => (envId) => core.ack("DeleteComputeEnv", { EnvId: envId });
export const terminateNodes: Operation<"terminateNodes"> = (core) => (envId, nodeIds) =>
  core.ack("TerminateComputeNodes", { EnvId: envId, ComputeNodeIds: nodeIds });
export const listEnvActivities: Operation<"listEnvActivities"> =
  (core) =>
  (envId, q = {}) =>
    core.paged(
      "DescribeComputeEnvActivities",
      "ActivitySet",
      ActivitySchema,
      clean({ EnvId: envId, Offset: q.offset, Limit: q.limit, Filters: q.nodeId ? { Name: "compute-node-id", Values: [q.nodeId] } : undefined }),
    );

/** Every operation: the whole port (tests, the local stack, benches; a function names its own). */
export const ALL_OPERATIONS = {
  submitJob,
  getJob,
  listJobs,
  getJobSubmitInfo,
  terminateJob,
  deleteJob,
  retryJobs,
  getTask,
  getTaskLogs,
  createEnv,
  getEnv,
  getEnvCreateInfo,
  listEnvs,
  setDesiredNodes,
  renameEnv,
  deleteEnv,
  terminateNodes,
  listEnvActivities,
} satisfies Required<Operations>;

/** The port of `operations` over `core`: each operation's method, under its name. */
export function portOf<O extends Operations>(core: BatchCore, operations: O): PortOf<O> {
  const port: Record<string, unknown> = {};
  for (const [name, op] of Object.entries(operations)) port[name] = (op as (core: BatchCore) => unknown)(core);
  return port as PortOf<O>;
}
