// The Batch port over the real SDK. Only the batch client is imported (never the
// package root: it requires all 262 services and costs ~600 ms of cold start).
import { randomUUID } from "node:crypto";
import { Client as BatchClient } from "tencentcloud-sdk-nodejs/tencentcloud/services/batch/v20170312/batch_client";
import { z } from "zod";
import { parseEnv, parseJsonVar } from "../config";
import { AppError } from "../errors";
import type { Logger } from "../log";
import { createLimiter, DEFAULT_RATES, type Limiter } from "./limiter";
import {
  ActivitySchema,
  ComputeEnvSchema,
  ComputeEnvViewSchema,
  JobDetailSchema,
  JobViewSchema,
  page,
  RequestIdOnlySchema,
  TaskDetailSchema,
  TaskInstanceLogSchema,
} from "./models";
import type { BatchPort, Page } from "./port";
import { asSdkError, isRetryable, isRetryableUnapplied, type RetryOptions, withRetry } from "./retry";

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
}

/** Credentials as SCF provides them to a function (no underscore inside SECRETID). */
export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): Credentials {
  const secretId = env.TENCENTCLOUD_SECRETID ?? "";
  const secretKey = env.TENCENTCLOUD_SECRETKEY ?? "";
  if (!secretId || !secretKey) {
    throw new AppError("credentials_missing", "TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY must be set", {
      status: 500,
      expose: false,
    });
  }
  const token = env.TENCENTCLOUD_SESSIONTOKEN;
  return token ? { secretId, secretKey, token } : { secretId, secretKey };
}

export function parseEndpoint(endpoint: string | undefined): { endpoint: string; protocol: string } {
  if (!endpoint) return { endpoint: "batch.tencentcloudapi.com", protocol: "https://" };
  const m = /^(https?):\/\/([^/]+)\/?$/.exec(endpoint.trim());
  if (!m) return { endpoint: endpoint.trim().replace(/\/+$/, ""), protocol: "https://" };
  return { endpoint: m[2]!, protocol: `${m[1]}://` };
}

const STATUS_BY_PREFIX: Array<[string, number]> = [
  ["RequestLimitExceeded", 429],
  ["ResourceNotFound", 404],
  ["InvalidParameter", 400],
  ["InvalidFilter", 400],
  ["InvalidZone", 400],
  ["UnknownParameter", 400],
  ["MissingParameter", 400],
  ["AllowedOneAttributeInEnvIdAndComputeEnv", 400],
  ["ResourceInUse", 409],
  ["UnsupportedOperation", 409],
  ["LimitExceeded", 422],
  ["InternalError", 503],
  ["AuthFailure", 502],
  ["UnauthorizedOperation", 502],
];

/** Wraps an SDK failure in an AppError that keeps Tencent's Code and RequestId. */
export function batchError(action: string, e: unknown): AppError {
  if (e instanceof AppError) return e;
  const err = asSdkError(e);
  const code = err.code || undefined;
  const requestId = err.requestId || undefined;
  let status = 502;
  if (code) {
    for (const [prefix, s] of STATUS_BY_PREFIX) {
      if (code.startsWith(prefix)) {
        status = s;
        break;
      }
    }
  } else if (typeof err.httpCode === "number") {
    status = err.httpCode >= 500 ? 503 : 502;
  } else {
    status = 503;
  }
  // Our own credentials or CAM failing is not the caller's business: no detail leaks.
  const expose = status < 500 || status === 503;
  // Without a Tencent code the message is the transport's (it names the endpoint) or our own:
  // callers get a generic sentence, the log gets the detail.
  const message = code ? `Batch ${action} failed: ${code}: ${err.message ?? ""}`.trim() : `Batch ${action} failed: no answer from the Batch API`;
  return new AppError(code ? `batch.${code}` : "batch.unavailable", message, {
    status,
    expose,
    ...(code ? { tencentCode: code } : {}),
    ...(requestId ? { requestId } : {}),
    ...(status === 429 || status === 503 ? { retryAfterSeconds: 1 } : {}),
    cause: e,
  });
}

type Call = (action: string, req: unknown) => Promise<unknown>;

export function createTencentBatch(opts: TencentBatchOptions): BatchPort & { call: Call } {
  const { endpoint, protocol } = parseEndpoint(opts.endpoint);
  const client = new BatchClient({
    credential: {
      // The SDK asks for credentials on every request; SCF rotates them.
      getCredential: async () => {
        const c = opts.credentials();
        return { secretId: c.secretId, secretKey: c.secretKey, token: c.token };
      },
    } as never,
    region: opts.region,
    profile: {
      httpProfile: { endpoint, protocol, reqTimeout: opts.timeoutSeconds ?? 5 },
    },
  });
  const limiter = opts.limiter ?? createLimiter(opts.rates ?? DEFAULT_RATES);
  // Bounded so that a call gives up (503) well inside the HTTP functions' 30 s timeout:
  // attempts of ≤ 5 s each, no retry started after 20 s.
  const retry: RetryOptions = { maxAttempts: 4, baseMs: 200, capMs: 3000, deadlineMs: 20_000, ...opts.retry };
  const log = opts.logger;

  const call: Call = async (action, req) => {
    const method = (client as unknown as Record<string, (r: unknown) => Promise<unknown>>)[action];
    if (typeof method !== "function") throw new AppError("batch.unknown_action", `no such Batch action ${action}`);
    // Missing credentials are our configuration, not a transient fault: fail at once, unexposed.
    opts.credentials();
    try {
      return await withRetry(
        async () => {
          await limiter.take(action);
          return method.call(client, req);
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

  const parsed = async <S extends z.ZodTypeAny>(action: string, req: unknown, schema: S): Promise<z.infer<S>> => {
    const res = await call(action, req);
    const r = schema.safeParse(res);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new AppError(
        "batch.bad_reply",
        `Batch ${action} answered an unexpected shape at ${issue?.path.join(".") ?? "?"}: ${issue?.message ?? ""}`,
        { status: 502, expose: false },
      );
    }
    return r.data;
  };

  const ack = async (action: string, req: unknown) => {
    const r = await parsed(action, req, RequestIdOnlySchema);
    return { requestId: r.RequestId };
  };

  const paged = async <S extends z.ZodTypeAny>(
    action: string,
    key: string,
    item: S,
    req: Record<string, unknown>,
  ): Promise<Page<z.infer<S>>> => {
    const r = (await parsed(action, req, page(key, item))) as Record<string, unknown>;
    return { items: r[key] as z.infer<S>[], total: r.TotalCount as number };
  };

  const clean = <T extends Record<string, unknown>>(o: T): T =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

  return {
    call,
    async submitJob(req) {
      // Retries of a submit must never create a second job: always send a ClientToken.
      const withToken = { ...req, ClientToken: req.ClientToken ?? randomUUID() };
      const r = (await call("SubmitJob", withToken)) as { JobId?: string; RequestId?: string };
      if (!r?.JobId) throw new AppError("batch.bad_reply", "SubmitJob answered without JobId", { status: 502 });
      return { jobId: r.JobId, requestId: r.RequestId ?? "" };
    },
    getJob: (jobId) => parsed("DescribeJob", { JobId: jobId }, JobDetailSchema),
    listJobs: (q) =>
      paged(
        "DescribeJobs",
        "JobSet",
        JobViewSchema,
        clean({ JobIds: q.jobIds, Filters: q.filters, Offset: q.offset, Limit: q.limit }),
      ),
    getJobSubmitInfo: async (jobId) => (await call("DescribeJobSubmitInfo", { JobId: jobId })) as never,
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
      const r = (await call("CreateComputeEnv", withToken)) as { EnvId?: string; RequestId?: string };
      if (!r?.EnvId) throw new AppError("batch.bad_reply", "CreateComputeEnv answered without EnvId", { status: 502 });
      return { envId: r.EnvId, requestId: r.RequestId ?? "" };
    },
    getEnv: (envId) => parsed("DescribeComputeEnv", { EnvId: envId }, ComputeEnvSchema),
    getEnvCreateInfo: async (envId) => (await call("DescribeComputeEnvCreateInfo", { EnvId: envId })) as never,
    listEnvs: (q) =>
      paged(
        "DescribeComputeEnvs",
        "ComputeEnvSet",
        ComputeEnvViewSchema,
        clean({ EnvIds: q.envIds, Filters: q.filters, Offset: q.offset, Limit: q.limit }),
      ),
    setDesiredNodes: (envId, desired) => ack("ModifyComputeEnv", { EnvId: envId, DesiredComputeNodeCount: desired }),
    renameEnv: (envId, change) =>
      ack("ModifyComputeEnv", clean({ EnvId: envId, EnvName: change.name, EnvDescription: change.description })),
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

/** Walks every page (Limit 100 by default) of a paged port call. */
export async function collectAll<T>(
  fetchPage: (offset: number, limit: number) => Promise<Page<T>>,
  opts: { limit?: number; max?: number } = {},
): Promise<T[]> {
  const limit = opts.limit ?? 100;
  const max = opts.max ?? Number.POSITIVE_INFINITY;
  const out: T[] = [];
  for (let offset = 0; out.length < max; offset += limit) {
    const p = await fetchPage(offset, limit);
    out.push(...p.items);
    if (p.items.length < limit || out.length >= p.total) break;
  }
  return out;
}

const RatesSchema = z
  .record(
    z.string().refine((a) => a in DEFAULT_RATES, { message: `an action this project calls: ${Object.keys(DEFAULT_RATES).join(", ")}` }),
    z.number({ invalid_type_error: "must be a number of requests per second" }).positive({ message: "must be above 0" }).max(1000, { message: "must be at most 1000" }),
  )
  .optional();

/**
 * The client-side quota per action and per function instance: the documented (conservative)
 * rates, with BATCH_RATES (JSON, e.g. {"SubmitJob": 20}) over them, for accounts whose quotas
 * are confirmed higher. Throws config_invalid naming the variable and the action.
 */
export function ratesFromEnv(env: NodeJS.ProcessEnv = process.env): Readonly<Record<string, number>> {
  return { ...DEFAULT_RATES, ...parseJsonVar("BATCH_RATES", env.BATCH_RATES, RatesSchema) };
}

const BatchEnvSchema = z
  .object({
    TENCENTCLOUD_REGION: z.string().regex(/^[a-z]+-[a-z]+(-[a-z]+)?$/, { message: "a region such as ap-guangzhou" }),
    BATCH_ENDPOINT: z.string().optional(),
    API_BASE_PATH: z.string().optional(),
  })
  .passthrough();

/**
 * The Batch port of an HTTP function as SCF configures it: region from TENCENTCLOUD_REGION,
 * endpoint override BATCH_ENDPOINT, credentials read per call. Throws config_invalid naming the variable.
 */
export function batchFromEnv(
  env: NodeJS.ProcessEnv,
  logger?: Logger,
): { batch: ReturnType<typeof createTencentBatch>; region: string; basePath: string | undefined; rates: Readonly<Record<string, number>> } {
  const cfg = parseEnv(BatchEnvSchema, env);
  const rates = ratesFromEnv(env);
  const batch = createTencentBatch({
    region: cfg.TENCENTCLOUD_REGION,
    credentials: () => credentialsFromEnv(env),
    rates,
    ...(cfg.BATCH_ENDPOINT ? { endpoint: cfg.BATCH_ENDPOINT } : {}),
    ...(logger ? { logger } : {}),
  });
  return { batch, region: cfg.TENCENTCLOUD_REGION, basePath: cfg.API_BASE_PATH, rates };
}
