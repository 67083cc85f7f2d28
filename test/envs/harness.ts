// The envs function wired to a test emulator: real SDK, real port, real HTTP layer, called
// with the captured Function URL / API Gateway fixtures (cloned, one field changed).
import type { BatchPort } from "../../shared/batch/port";
import { type BatchRegions, oneRegion } from "../../shared/batch/regions";
import { EnvPolicySchema, type EnvPolicy } from "../../shared/env-policy";
import { parseApiKeys } from "../../shared/http";
import { memoryLogger } from "../../shared/log";
import { priceTableFromEnv } from "../../shared/prices";
import { makeHandler } from "../../functions/envs/entry";
import { envsRoutes } from "../../functions/envs/routes";
import { createEnvsService } from "../../functions/envs/service";
import apigwCaptured from "../fixtures/apigw-captured-style.json";
import functionUrl from "../fixtures/function-url.json";
import { answerChecker } from "../support/http-answers";

export const WRITER = "writer-key-0123456789abcdef";
export const READER = "reader-key-0123456789abcdef";
export const ADMIN = "admin-key-0123456789abcdef00";
/** Two writers (ownership), and a writer holding envs:admin. */
export const ALICE = "alice-key-0123456789abcdef00";
export const BOB = "bob-key-0123456789abcdef0000";
export const OPS = "ops-key-0123456789abcdef0000";
/** envs:* and a key without scopes hold every envs scope, but not ownership's envs:admin (it must be listed). */
export const STAR = "star-key-0123456789abcdef000";
export const ALL = "all-key-0123456789abcdef0000";
export const API_KEYS =
  `writer:${WRITER}:envs:read|envs:write, reader:${READER}:envs:read, admin:${ADMIN}:envs:read|envs:write|envs:admin, ` +
  `alice:${ALICE}:envs:read|envs:write, bob:${BOB}:envs:read|envs:write, ops:${OPS}:envs:read|envs:write|envs:admin, ` +
  `star:${STAR}:envs:*, all:${ALL}`;

export interface CallOptions {
  body?: unknown;
  query?: Record<string, string>;
  key?: string | null;
  headers?: Record<string, string>;
  /** Send through the API Gateway fixture instead of the Function URL one. */
  apigw?: boolean;
}

export interface Answer {
  status: number;
  headers: Record<string, string>;
  json: Record<string, unknown> & { [k: string]: unknown };
}

export function envsFunction(t: { port: BatchPort }, policyInput: unknown, opts: { now?: () => number; port?: BatchPort; regions?: BatchRegions } = {}) {
  const policy: EnvPolicy = EnvPolicySchema.parse(policyInput);
  const logger = memoryLogger({ function: "envs" });
  const regions = opts.regions ?? oneRegion("ap-guangzhou", opts.port ?? t.port);
  const handler = makeHandler({
    regions,
    policy,
    prices: priceTableFromEnv(undefined),
    region: "ap-guangzhou",
    keys: parseApiKeys(API_KEYS),
    logger,
    ...(opts.now ? { now: opts.now } : {}),
  });
  // Every success answer is parsed with its route's response schema (the OpenAPI document's).
  const answers = answerChecker(
    envsRoutes(createEnvsService({ regions, policy, prices: priceTableFromEnv(undefined), logger, now: Date.now }), {
      region: "ap-guangzhou",
      regions: regions.names,
    }),
  );
  async function call(method: string, path: string, o: CallOptions = {}): Promise<Answer> {
    const base = structuredClone(o.apigw ? apigwCaptured : functionUrl) as Record<string, unknown> & {
      headers: Record<string, string>;
    };
    base.httpMethod = method;
    base.path = path;
    base.queryString = o.query ?? {};
    if (o.apigw) {
      base.queryStringParameters = o.query ?? {};
      base.pathParameters = {};
      (base.requestContext as Record<string, unknown>).httpMethod = method;
    }
    base.body = o.body === undefined ? "" : typeof o.body === "string" ? o.body : JSON.stringify(o.body);
    const key = o.key === undefined ? WRITER : o.key;
    base.headers = { ...base.headers, ...(o.headers ?? {}) };
    delete base.headers.authorization;
    if (key !== null) base.headers.authorization = `Bearer ${key}`;
    const r = await handler(base, { request_id: `req-${Math.random().toString(36).slice(2)}` });
    answers.check(base, r);
    return { status: r.statusCode, headers: r.headers, json: r.body ? (JSON.parse(r.body) as Answer["json"]) : {} };
  }
  const audits = () => logger.lines.filter((l) => l.msg === "audit");
  return { call, logger, audits };
}

export const createBody = (name: string, desired: number, over: Record<string, unknown> = {}) => ({
  Placement: { Zone: "ap-guangzhou-2" },
  ComputeEnv: {
    EnvName: name,
    DesiredComputeNodeCount: desired,
    EnvType: "MANAGED",
    EnvData: { InstanceType: "BS1.LARGE8", ImageId: "img-31tjrtph" },
    ...over,
  },
});
