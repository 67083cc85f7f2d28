// The account as the deploy sees it: SCF (2018-04-16) and TDMQ for CMQ (2020-02-17) through the
// SDK's own clients (deep imports, as the functions import Batch's), every reply parsed, every
// call retried by the client layer's rules (shared/batch/retry.ts). Writes are counted: a second
// deploy with nothing changed must make none.
import { Client as ScfClient } from "tencentcloud-sdk-nodejs/tencentcloud/services/scf/v20180416/scf_client";
import { Client as TdmqClient } from "tencentcloud-sdk-nodejs/tencentcloud/services/tdmq/v20200217/tdmq_client";
import { z } from "zod";
// the same English messages as the functions' schemas (classic zod would word them its own way)
import "../../shared/zod";
import { type Credentials, parseEndpoint } from "../../shared/batch/tencent-adapter";
import { asSdkError, isRetryable, type RetryOptions, withRetry } from "../../shared/batch/retry";
import { type ActualFunction, type ActualSubscription, type ActualTrigger, DeployError, type FunctionSettings, type TriggerSpec } from "./model";

export interface CloudOptions {
  region: string;
  namespace: string;
  credentials: Credentials;
  /** One endpoint for every product (`http://127.0.0.1:9100`: the emulator). Default: each product's own. */
  endpoint?: string | undefined;
  retry?: Partial<RetryOptions>;
  /** How often a function's status is polled while it settles. */
  pollMs?: number;
  /** How long a function may stay Creating/Updating before the deploy gives up. */
  settleTimeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const Str = z
  .string()
  .nullish()
  .transform((v) => v ?? "");
const TriggerReply = z
  .object({ Type: Str, TriggerName: Str, TriggerDesc: Str, CustomArgument: Str, Enable: z.union([z.number(), z.boolean(), z.string()]).nullish() })
  .passthrough();
const FunctionReply = z
  .object({
    FunctionName: z.string(),
    Status: Str,
    StatusReasons: z.array(z.object({ ErrorCode: z.string().nullish(), ErrorMessage: z.string().nullish() }).passthrough()).nullish(),
    Runtime: Str,
    Handler: Str,
    MemorySize: z.number().nullish(),
    Timeout: z.number().nullish(),
    Role: z.string().nullish(),
    Description: Str,
    Environment: z
      .object({ Variables: z.array(z.object({ Key: z.string(), Value: z.string().nullish() })).nullish() })
      .passthrough()
      .nullish(),
    Triggers: z.array(TriggerReply).nullish(),
    Tags: z.array(z.object({ Key: z.string(), Value: z.string().nullish() })).nullish(),
  })
  .passthrough();
const AddressReply = z.object({ CodeSha256: z.string().nullish() }).passthrough();
const ListFunctionsReply = z
  .object({ Functions: z.array(z.object({ FunctionName: z.string() }).passthrough()).nullish(), TotalCount: z.number().nullish() })
  .passthrough();
const SubscriptionsReply = z
  .object({
    TotalCount: z.number().nullish(),
    SubscriptionSet: z
      .array(z.object({ SubscriptionName: z.string(), TopicName: Str, Protocol: Str, Endpoint: Str, NotifyContentFormat: Str }).passthrough())
      .nullish(),
  })
  .passthrough();

const READ_ACTION = /^(Get|List|Describe)/;
const codeOf = (e: unknown) => asSdkError(e).code ?? "";
const NOT_FOUND = /^ResourceNotFound/;
/** TDMQ's error list also names a missing topic this way (tencentcloud-sdk-go tdmq errors.go). */
const TOPIC_NOT_FOUND = /^(ResourceNotFound|InvalidParameterValue\.TopicNotFound)/;
/** The function is busy with another change (SCF's error-code table; tencentcloud-sdk-go scf errors.go). */
const BUSY = new Set([
  "FailedOperation.UpdateFunctionCode",
  "FailedOperation.UpdateFunctionConfiguration",
  "FailedOperation.FunctionStatusError",
  "FailedOperation.OperationConflict",
]);

export type Cloud = ReturnType<typeof createCloud>;

export function createCloud(opts: CloudOptions) {
  const credential = { secretId: opts.credentials.secretId, secretKey: opts.credentials.secretKey, token: opts.credentials.token };
  const profile = (host: string) => {
    const { endpoint, protocol } = parseEndpoint(opts.endpoint || host);
    return { httpProfile: { endpoint, protocol, reqTimeout: 60 } };
  };
  const scf = new ScfClient({ credential, region: opts.region, profile: profile("scf.tencentcloudapi.com") });
  // One TDMQ client per region a topic is in (Batch publishes an env's or job's events in its own region).
  const tdmqClients = new Map<string, TdmqClient>();
  const tdmq = (region: string): TdmqClient => {
    const c = tdmqClients.get(region) ?? new TdmqClient({ credential, region, profile: profile("tdmq.tencentcloudapi.com") });
    tdmqClients.set(region, c);
    return c;
  };
  const retry: RetryOptions = { maxAttempts: 5, baseMs: 500, capMs: 5000, ...opts.retry };
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const pollMs = opts.pollMs ?? 1000;
  const settleTimeoutMs = opts.settleTimeoutMs ?? 5 * 60_000;
  const ns = opts.namespace;
  const writes: string[] = [];
  const calls: string[] = [];

  /**
   * `doneIfRepeated`: an error that, on a retry, means the lost first attempt did the work (a
   * create answered "already exists" after a timeout), so the call succeeded.
   */
  async function call(client: object, action: string, req: Record<string, unknown>, doneIfRepeated?: RegExp): Promise<unknown> {
    const method = (client as Record<string, (r: unknown) => Promise<unknown>>)[action];
    if (typeof method !== "function") throw new DeployError(`no such action ${action}`);
    return withRetry(
      async (attempt) => {
        calls.push(action);
        if (!READ_ACTION.test(action)) writes.push(action);
        try {
          return await method.call(client, req);
        } catch (e) {
          if (attempt > 0 && doneIfRepeated?.test(codeOf(e))) return undefined;
          throw e;
        }
      },
      { ...retry, retryable: (e) => isRetryable(e) },
    );
  }


  async function getFunction(name: string): Promise<ActualFunction | undefined> {
    let raw: unknown;
    try {
      raw = await call(scf, "GetFunction", { FunctionName: name, Namespace: ns });
    } catch (e) {
      if (NOT_FOUND.test(codeOf(e))) return undefined;
      throw e;
    }
    const f = FunctionReply.parse(raw);
    const address = AddressReply.parse(await call(scf, "GetFunctionAddress", { FunctionName: name, Namespace: ns }));
    return {
      name: f.FunctionName,
      status: f.Status,
      statusReasons: (f.StatusReasons ?? []).map((r) => ({ ErrorCode: r.ErrorCode ?? undefined, ErrorMessage: r.ErrorMessage ?? undefined })),
      settings: {
        Runtime: f.Runtime,
        Handler: f.Handler,
        MemorySize: f.MemorySize ?? 0,
        Timeout: f.Timeout ?? 0,
        Role: f.Role || undefined,
        Description: f.Description,
        Environment: Object.fromEntries((f.Environment?.Variables ?? []).map((v) => [v.Key, v.Value ?? ""])),
      },
      codeSha256: address.CodeSha256 ?? undefined,
      triggers: (f.Triggers ?? []).map(
        (t): ActualTrigger => ({
          Type: t.Type,
          TriggerName: t.TriggerName,
          TriggerDesc: t.TriggerDesc,
          CustomArgument: t.CustomArgument,
          Enable: t.Enable === 1 || t.Enable === true || t.Enable === "OPEN",
        }),
      ),
      tags: Object.fromEntries((f.Tags ?? []).map((t) => [t.Key, t.Value ?? ""])),
    };
  }

  /**
   * Waits until the function is Active; a failed create/update is an error naming its reasons.
   * `failedOk`: before a change, a function a past change left CreateFailed/UpdateFailed is ready
   * for the next change (SCF accepts it), so only a change in progress is waited out.
   */
  async function settle(name: string, opts: { failedOk?: boolean } = {}): Promise<ActualFunction> {
    const deadline = Date.now() + settleTimeoutMs;
    for (;;) {
      const f = await getFunction(name);
      if (!f) throw new DeployError(`${name}: the function disappeared while the deploy waited for it`);
      if (f.status === "Active") return f;
      if (/Failed$/.test(f.status)) {
        if (opts.failedOk) return f;
        const why = f.statusReasons.map((r) => [r.ErrorCode, r.ErrorMessage].filter(Boolean).join(": ")).join("; ") || "no reason given";
        throw new DeployError(`${name} is ${f.status}: ${why}. Fix the cause and run the deploy again: it converges.`);
      }
      if (Date.now() > deadline) throw new DeployError(`${name} is still ${f.status} after ${settleTimeoutMs / 1000} s`);
      await sleep(pollMs);
    }
  }

  /** A write to a function: refused while it is busy with another change, so wait and try again. */
  async function change(name: string, action: string, req: Record<string, unknown>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await call(scf, action, { ...req, FunctionName: name, Namespace: ns });
        return;
      } catch (e) {
        if (!BUSY.has(codeOf(e)) || attempt >= 3) throw e;
        await settle(name, { failedOk: true });
      }
    }
  }

  const environment = (env: Record<string, string>) => ({ Variables: Object.entries(env).map(([Key, Value]) => ({ Key, Value })) });

  return {
    region: opts.region,
    namespace: ns,
    /** Every write action made, in order. */
    writes,
    calls,
    getFunction,
    settle,
    /** Names in the namespace that start with `prefix`. */
    async listFunctions(prefix: string): Promise<string[]> {
      const out: string[] = [];
      for (let offset = 0; ; offset += 100) {
        const page = ListFunctionsReply.parse(await call(scf, "ListFunctions", { Namespace: ns, SearchKey: prefix, Offset: offset, Limit: 100 }));
        const fns = page.Functions ?? [];
        out.push(...fns.map((f) => f.FunctionName).filter((n) => n.startsWith(prefix)));
        if (fns.length < 100 || offset + fns.length >= (page.TotalCount ?? 0)) return out;
      }
    },
    async createFunction(name: string, settings: FunctionSettings, zip: Buffer, tags: Record<string, string>): Promise<void> {
      await call(scf, "CreateFunction", {
        FunctionName: name,
        Namespace: ns,
        Code: { ZipFile: zip.toString("base64") },
        Handler: settings.Handler,
        Runtime: settings.Runtime,
        MemorySize: settings.MemorySize,
        Timeout: settings.Timeout,
        Description: settings.Description,
        ...(settings.Role ? { Role: settings.Role } : {}),
        Environment: environment(settings.Environment),
        Type: "Event",
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      }, /^ResourceInUse\.Function/);
    },
    updateCode: (name: string, handler: string, zip: Buffer) => change(name, "UpdateFunctionCode", { Handler: handler, ZipFile: zip.toString("base64") }),
    updateConfig: (name: string, s: FunctionSettings) =>
      change(name, "UpdateFunctionConfiguration", {
        MemorySize: s.MemorySize,
        Timeout: s.Timeout,
        Description: s.Description,
        ...(s.Role ? { Role: s.Role } : {}),
        Environment: environment(s.Environment),
      }),
    deleteFunction: (name: string) => change(name, "DeleteFunction", {}),
    createTrigger: (name: string, t: TriggerSpec) =>
      change(name, "CreateTrigger", {
        TriggerName: t.TriggerName,
        Type: t.Type,
        TriggerDesc: t.TriggerDesc,
        Enable: t.Enable ? "OPEN" : "CLOSE",
        ...(t.Type === "timer" ? { CustomArgument: t.CustomArgument } : {}),
      }),
    deleteTrigger: (name: string, t: ActualTrigger) =>
      change(name, "DeleteTrigger", { TriggerName: t.TriggerName, Type: t.Type, ...(t.TriggerDesc ? { TriggerDesc: t.TriggerDesc } : {}) }),
    async topicExists(region: string, topic: string): Promise<boolean> {
      try {
        await call(tdmq(region), "DescribeCmqTopicDetail", { TopicName: topic });
        return true;
      } catch (e) {
        if (TOPIC_NOT_FOUND.test(codeOf(e))) return false;
        throw e;
      }
    },
    createTopic: async (region: string, topic: string) => void (await call(tdmq(region), "CreateCmqTopic", { TopicName: topic }, /^ResourceInUse/)),
    /** Every subscription of a topic (pages of 50, the API's maximum). */
    async listSubscriptions(region: string, topic: string): Promise<ActualSubscription[]> {
      const out: ActualSubscription[] = [];
      for (let offset = 0; ; offset += 50) {
        let raw: unknown;
        try {
          raw = await call(tdmq(region), "DescribeCmqSubscriptionDetail", { TopicName: topic, Offset: offset, Limit: 50 });
        } catch (e) {
          if (TOPIC_NOT_FOUND.test(codeOf(e))) return out;
          throw e;
        }
        const page = SubscriptionsReply.parse(raw);
        const set = page.SubscriptionSet ?? [];
        out.push(...set.map((s) => ({ region, topic, name: s.SubscriptionName, protocol: s.Protocol, endpoint: s.Endpoint, format: s.NotifyContentFormat || "JSON" })));
        if (set.length < 50 || offset + set.length >= (page.TotalCount ?? 0)) return out;
      }
    },
    createSubscription: async (region: string, topic: string, name: string, endpoint: string) =>
      void (await call(tdmq(region), "CreateCmqSubscribe", {
        TopicName: topic,
        SubscriptionName: name,
        Protocol: "http",
        Endpoint: endpoint,
        // A topic message lives one day; exponential decay retries it for that day.
        NotifyStrategy: "EXPONENTIAL_DECAY_RETRY",
        NotifyContentFormat: "JSON",
      })),
    deleteSubscription: async (region: string, topic: string, name: string) => void (await call(tdmq(region), "DeleteCmqSubscribe", { TopicName: topic, SubscriptionName: name })),
  };
}
