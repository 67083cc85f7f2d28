// The Batch port over the SDK's batch client: rate limits, retries, error mapping (./errors) and
// a zod parse of every reply. Only the batch client is imported (never the package root: it
// requires all 262 services and costs ~600 ms of cold start). Identical concurrent reads share
// one call and writes cut that sharing (./single-flight). Configuration from the environment is
// ./config; paging helpers are ./paging.
import { randomUUID } from "node:crypto";
import { Client as BatchClient } from "tencentcloud-sdk-nodejs/tencentcloud/services/batch/v20170312/batch_client";
import type {
  DescribeComputeEnvCreateInfoResponse,
  DescribeJobSubmitInfoResponse,
} from "tencentcloud-sdk-nodejs/tencentcloud/services/batch/v20170312/batch_models";
import * as z from "../zod";
import { AppError } from "../errors";
import type { Logger } from "../log";
import { batchError } from "./errors";
import { createLimiter, DEFAULT_RATES, type Limiter } from "./limiter";
import {
  ActivitySchema,
  ComputeEnvCreateInfoSchema,
  ComputeEnvSchema,
  ComputeEnvViewSchema,
  CreatedEnvSchema,
  JobDetailSchema,
  JobSubmitInfoSchema,
  JobViewSchema,
  page,
  RequestIdOnlySchema,
  SubmittedJobSchema,
  TaskDetailSchema,
  TaskInstanceLogSchema,
} from "./models";
import type { BatchPort, Page } from "./port";
import { asSdkError, isRetryable, isRetryableUnapplied, type RetryOptions, withRetry } from "./retry";
import { createSingleFlight, flightKey, isRead } from "./single-flight";

/** Actions whose repeat after an unclear failure would misreport a success (no ClientToken). */
const NOT_SAFE_TO_REPEAT = new Set(["DeleteJob", "TerminateJob", "RetryJobs", "TerminateComputeNode", "TerminateComputeNodes", "DeleteComputeEnv"]);

export interface Credentials {
  secretId: string;
  secretKey: string;
  token?: string;
}

export interface TencentBatchOptions {
  region: string;
  /** Read per request: SCF role credentials are temporary. */
  credentials: () => Credentials;
  /** e.g. `http://127.0.0.1:9100` for the local emulator. Default: batch.tencentcloudapi.com over https. */
  endpoint?: string;
  rates?: Readonly<Record<string, number>>;
  retry?: Partial<RetryOptions>;
  timeoutSeconds?: number;
  limiter?: Limiter;
  logger?: Logger;
  /** The SDK client to call; default: the batch client built from the options above (tests may pass another). */
  client?: BatchSdkClient;
  /** Identical concurrent reads share one call (./single-flight). Default true; false for a baseline. */
  singleFlight?: boolean;
}

/** The Batch actions this project calls (the SDK client's method names). */
export type BatchAction =
  | "SubmitJob"
  | "DescribeJob"
  | "DescribeJobs"
  | "DescribeJobSubmitInfo"
  | "TerminateJob"
  | "DeleteJob"
  | "RetryJobs"
  | "DescribeTask"
  | "DescribeTaskLogs"
  | "CreateComputeEnv"
  | "DescribeComputeEnv"
  | "DescribeComputeEnvCreateInfo"
  | "DescribeComputeEnvs"
  | "ModifyComputeEnv"
  | "DeleteComputeEnv"
  | "TerminateComputeNodes"
  | "DescribeComputeEnvActivities";

/** What the adapter needs of an SDK client: the actions it calls, each `(request) => Promise<reply>`. */
export type BatchSdkClient = { [A in BatchAction]?: (req: never) => Promise<unknown> };

export function parseEndpoint(endpoint: string | undefined): { endpoint: string; protocol: string } {
  if (!endpoint) return { endpoint: "batch.tencentcloudapi.com", protocol: "https://" };
  const m = /^(https?):\/\/([^/]+)\/?$/.exec(endpoint.trim());
  if (!m) return { endpoint: endpoint.trim().replace(/\/+$/, ""), protocol: "https://" };
  return { endpoint: m[2]!, protocol: `${m[1]}://` };
}

type Call = (action: string, req: unknown) => Promise<unknown>;

/** The SDK's batch client for the options (credentials asked for on every request: SCF rotates them). */
export function sdkClient(opts: Pick<TencentBatchOptions, "region" | "credentials" | "endpoint" | "timeoutSeconds">): BatchSdkClient {
  const { endpoint, protocol } = parseEndpoint(opts.endpoint);
  return new BatchClient({
    credential: { getCredential: async () => opts.credentials() },
    region: opts.region,
    profile: { httpProfile: { endpoint, protocol, reqTimeout: opts.timeoutSeconds ?? 5 } },
  });
}

export function createTencentBatch(opts: TencentBatchOptions): BatchPort & { call: Call } {
  const client = opts.client ?? sdkClient(opts);
  const limiter = opts.limiter ?? createLimiter(opts.rates ?? DEFAULT_RATES);
  // Bounded so that a call gives up (503) well inside the HTTP functions' 30 s timeout:
  // attempts of ≤ 5 s each, no retry started after 20 s.
  const retry: RetryOptions = { maxAttempts: 4, baseMs: 200, capMs: 3000, deadlineMs: 20_000, ...opts.retry };
  const log = opts.logger;
  const flights = opts.singleFlight === false ? undefined : createSingleFlight();

  const send: Call = async (action, req) => {
    const method = (client as Record<string, unknown>)[action];
    if (typeof method !== "function") throw new AppError("batch.unknown_action", `no such Batch action ${action}`);
    // Missing credentials are our configuration, not a transient fault: fail at once, unexposed.
    opts.credentials();
    try {
      return await withRetry(
        async () => {
          await limiter.take(action);
          return (method as (r: unknown) => Promise<unknown>).call(client, req);
        },
        {
          ...retry,
          retryable: NOT_SAFE_TO_REPEAT.has(action) ? isRetryableUnapplied : (retry.retryable ?? isRetryable),
          onRetry: (info) =>
            log?.warn("batch call retried", {
              action,
              attempt: info.attempt,
              delay_ms: info.delayMs,
              code: info.error.code,
              batch_request_id: info.error.requestId,
            }),
        },
      );
    } catch (e) {
      const err = batchError(action, e);
      if (!err.tencentCode) log?.warn("batch call failed without an answer", { action, error: asSdkError(e).message });
      throw err;
    }
  };
  // Every write, by any path, cuts the sharing of reads in flight.
  const call: Call = (action, req) => (flights && !isRead(action) ? flights.write(() => send(action, req)) : send(action, req));

  const parseCall = async <S extends z.core.$ZodType>(action: BatchAction, req: unknown, schema: S): Promise<z.infer<S>> => {
    const res = await call(action, req);
    const r = z.safeParse(schema, res);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new AppError("batch.bad_reply", `Batch ${action} answered an unexpected shape at ${issue?.path.join(".") ?? "?"}: ${issue?.message ?? ""}`, {
        status: 502,
        expose: false,
      });
    }
    return r.data;
  };
  // A shared read parses once; its waiters get copies (./single-flight).
  const parsed = <S extends z.core.$ZodType>(action: BatchAction, req: unknown, schema: S): Promise<z.infer<S>> =>
    flights && isRead(action) ? flights.read(flightKey(action, req), () => parseCall(action, req, schema)) : parseCall(action, req, schema);

  const ack = async (action: BatchAction, req: unknown) => {
    const r = await parsed(action, req, RequestIdOnlySchema);
    return { requestId: r.RequestId };
  };

  const paged = async <S extends z.core.$ZodType>(action: BatchAction, key: string, item: S, req: Record<string, unknown>): Promise<Page<z.infer<S>>> => {
    const r = (await parsed(action, req, page(key, item))) as Record<string, unknown>;
    return { items: r[key] as z.infer<S>[], total: r.TotalCount as number };
  };

  const clean = <T extends Record<string, unknown>>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

  return {
    call,
    async submitJob(req) {
      // Retries of a submit must never create a second job: always send a ClientToken.
      const withToken = { ...req, ClientToken: req.ClientToken ?? randomUUID() };
      const r = await parsed("SubmitJob", withToken, SubmittedJobSchema);
      return { jobId: r.JobId, requestId: r.RequestId };
    },
    getJob: (jobId) => parsed("DescribeJob", { JobId: jobId }, JobDetailSchema),
    listJobs: (q) => paged("DescribeJobs", "JobSet", JobViewSchema, clean({ JobIds: q.jobIds, Filters: q.filters, Offset: q.offset, Limit: q.limit })),
    // Checked where the functions read it; the SDK's type names the rest of the request as submitted.
    getJobSubmitInfo: async (jobId) => (await parsed("DescribeJobSubmitInfo", { JobId: jobId }, JobSubmitInfoSchema)) as DescribeJobSubmitInfoResponse,
    terminateJob: (jobId) => ack("TerminateJob", { JobId: jobId }),
    deleteJob: (jobId) => ack("DeleteJob", { JobId: jobId }),
    retryJobs: (jobIds) => ack("RetryJobs", { JobIds: jobIds }),
    getTask: (jobId, taskName, q = {}) =>
      parsed("DescribeTask", clean({ JobId: jobId, TaskName: taskName, Offset: q.offset, Limit: q.limit }), TaskDetailSchema),
    getTaskLogs: (jobId, taskName, q) =>
      paged(
        "DescribeTaskLogs",
        "TaskInstanceLogSet",
        TaskInstanceLogSchema,
        clean({ JobId: jobId, TaskName: taskName, TaskInstanceIndexes: q.indexes, Offset: q.offset, Limit: q.limit }),
      ),
    async createEnv(req) {
      const withToken = { ...req, ClientToken: req.ClientToken ?? randomUUID() };
      const r = await parsed("CreateComputeEnv", withToken, CreatedEnvSchema);
      return { envId: r.EnvId, requestId: r.RequestId };
    },
    getEnv: (envId) => parsed("DescribeComputeEnv", { EnvId: envId }, ComputeEnvSchema),
    getEnvCreateInfo: async (envId) =>
      (await parsed("DescribeComputeEnvCreateInfo", { EnvId: envId }, ComputeEnvCreateInfoSchema)) as DescribeComputeEnvCreateInfoResponse,
    listEnvs: (q) =>
      paged("DescribeComputeEnvs", "ComputeEnvSet", ComputeEnvViewSchema, clean({ EnvIds: q.envIds, Filters: q.filters, Offset: q.offset, Limit: q.limit })),
    setDesiredNodes: (envId, desired, opts) => ack("ModifyComputeEnv", clean({ EnvId: envId, DesiredComputeNodeCount: desired, EnvDescription: opts?.description })),
    renameEnv: (envId, change) => ack("ModifyComputeEnv", clean({ EnvId: envId, EnvName: change.name, EnvDescription: change.description })),
    deleteEnv: (envId) => ack("DeleteComputeEnv", { EnvId: envId }),
    terminateNodes: (envId, nodeIds) => ack("TerminateComputeNodes", { EnvId: envId, ComputeNodeIds: nodeIds }),
    listEnvActivities: (envId, q = {}) =>
      paged(
        "DescribeComputeEnvActivities",
        "ActivitySet",
        ActivitySchema,
        clean({
          EnvId: envId,
          Offset: q.offset,
          Limit: q.limit,
          Filters: q.nodeId ? { Name: "compute-node-id", Values: [q.nodeId] } : undefined,
        }),
      ),
  };
}
