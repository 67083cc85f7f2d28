// The Batch port over the SDK's client: one call core (`createBatchCore`) with rate limits,
// retries, error mapping (./errors) and a zod parse of every reply, under the port's operations
// (./operations; a function's port has only those it calls). Only the SDK's common client is
// imported (never the package root: it requires all 262 services and costs ~600 ms of cold start).
// Identical concurrent reads share one call and writes cut that sharing (./single-flight).
// Configuration from the environment is ./config; paging helpers are ./paging.
import { AbstractClient } from "tencentcloud-sdk-nodejs/tencentcloud/common/abstract_client";
import * as z from "../zod";
import { AppError } from "../errors";
import type { Logger } from "../log";
import { batchError } from "./errors";
import { type BatchAction, createLimiter, DEFAULT_RATES, type Limiter } from "./limiter";
import { page, RequestIdOnlySchema } from "./models";
import { ALL_OPERATIONS, portOf } from "./operations";
import type { Acknowledged, BatchPort, Page } from "./port";
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
  /** The SDK client to call; default: the SDK's client for Batch built from the options above (`sdkClient`; tests may pass another). */
  client?: BatchSdkClient;
  /** Identical concurrent reads share one call (./single-flight). Default true; false for a baseline. */
  singleFlight?: boolean;
}

/** The Batch actions this project may call (./limiter, one list with their rates). */
export type { BatchAction };

/** What the adapter needs of an SDK client: the common client's `request(action, req)` (tests may pass another). */
export interface BatchSdkClient {
  request(action: string, req: unknown): Promise<unknown>;
}

/** Batch's endpoint (its service name for the signature) and API version, as the SDK's batch client (batch_client.js) passes them. */
const BATCH_ENDPOINT = "batch.tencentcloudapi.com";
const BATCH_VERSION = "2017-03-12";

export function parseEndpoint(endpoint: string | undefined): { endpoint: string; protocol: string } {
  if (!endpoint) return { endpoint: BATCH_ENDPOINT, protocol: "https://" };
  const m = /^(https?):\/\/([^/]+)\/?$/.exec(endpoint.trim());
  if (!m) return { endpoint: endpoint.trim().replace(/\/+$/, ""), protocol: "https://" };
  return { endpoint: m[2]!, protocol: `${m[1]}://` };
}

type Call = (action: string, req: unknown) => Promise<unknown>;

/**
 * The SDK's client for Batch with the options (credentials asked for on every request: SCF rotates
 * them). The SDK's generated batch client is a class of one-line methods, each `request(action, …)`
 * on this common client with Batch's endpoint and version: calling `request` directly sends the same
 * (test/build/sdk-client-shim.test.ts) without bundling its 30 methods.
 */
export function sdkClient(opts: Pick<TencentBatchOptions, "region" | "credentials" | "endpoint" | "timeoutSeconds">): BatchSdkClient {
  const { endpoint, protocol } = parseEndpoint(opts.endpoint);
  return new AbstractClient(BATCH_ENDPOINT, BATCH_VERSION, {
    credential: { getCredential: async () => opts.credentials() },
    region: opts.region,
    profile: { httpProfile: { endpoint, protocol, reqTimeout: opts.timeoutSeconds ?? 5 } },
  });
}

/** The one call path every operation takes (./operations): quota, retries, error mapping, reply validation, shared reads. */
export interface BatchCore {
  /** The SDK action, limited, retried and mapped to an AppError (./errors); every write cuts the sharing of reads. */
  call: Call;
  /** The action's reply, parsed by `schema` (502 `batch.bad_reply` when it does not fit); identical reads shared. */
  parsed<S extends z.core.$ZodType>(action: BatchAction, req: unknown, schema: S): Promise<z.infer<S>>;
  /** An action that answers only its RequestId. */
  ack(action: BatchAction, req: unknown): Promise<Acknowledged>;
  /** One page of an action that lists `item`s under `key`. */
  paged<S extends z.core.$ZodType>(action: BatchAction, key: string, item: S, req: Record<string, unknown>): Promise<Page<z.infer<S>>>;
}

export function createBatchCore(opts: TencentBatchOptions): BatchCore {
  const client = opts.client ?? sdkClient(opts);
  const limiter = opts.limiter ?? createLimiter(opts.rates ?? DEFAULT_RATES);
  // Bounded so that a call gives up (503) well inside the HTTP functions' 30 s timeout:
  // attempts of ≤ 5 s each, no retry started after 20 s.
  const retry: RetryOptions = { maxAttempts: 4, baseMs: 200, capMs: 3000, deadlineMs: 20_000, ...opts.retry };
  const log = opts.logger;
  const flights = opts.singleFlight === false ? undefined : createSingleFlight();

  const send: Call = async (action, req) => {
    // The actions this project calls are those with a documented rate (./limiter).
    if (!Object.hasOwn(DEFAULT_RATES, action)) throw new AppError("batch.unknown_action", `no such Batch action ${action}`);
    // Missing credentials are our configuration, not a transient fault: fail at once, unexposed.
    opts.credentials();
    try {
      return await withRetry(
        async () => {
          await limiter.take(action);
          return client.request(action, req);
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

  return {
    call,
    parsed,
    async ack(action, req) {
      const r = await parsed(action, req, RequestIdOnlySchema);
      return { requestId: r.RequestId };
    },
    async paged<S extends z.core.$ZodType>(action: BatchAction, key: string, item: S, req: Record<string, unknown>): Promise<Page<z.infer<S>>> {
      const r = (await parsed(action, req, page(key, item))) as Record<string, unknown>;
      return { items: r[key] as z.infer<S>[], total: r.TotalCount as number };
    },
  };
}

/** The whole port (every operation) and its `call`: for tests, the local stack and benches; a function builds its own (`portOf`). */
export function createTencentBatch(opts: TencentBatchOptions): BatchPort & { call: Call } {
  const core = createBatchCore(opts);
  return { call: core.call, ...portOf(core, ALL_OPERATIONS) };
}
