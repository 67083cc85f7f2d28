// Fuzz every HTTP endpoint of the jobs and envs functions, in-process through the real handlers
// (real HTTP layer, real port, real SDK) against a test emulator. Endpoints, methods, query
// parameters and bodies come from each function's own OpenAPI document, so a new route is fuzzed
// without touching this file. Each case: a fixture event (API Gateway captured/documented or
// Function URL) with generated or mutated method, path, stage prefix, headers, query, body
// (valid, mutated, truncated, base64, garbled, oversized) and sometimes a broken envelope.
// The answer is never a 5xx, the handler never rejects, 4xx are problem+json naming the field.
// `npm test` runs a small sample; FUZZ_RUNS=10000 runs the full fuzz (see the report).
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { priceTableFromEnv } from "../../shared/prices";
import { makeHandler as makeEnvsHandler } from "../../functions/envs/entry";
import { makeHandler as makeJobsHandler } from "../../functions/jobs/entry";
import { EnvPolicySchema } from "../../shared/env-policy";
import { type MainHandler, parseApiKeys } from "../../shared/http";
import { memoryLogger } from "../../shared/log";
import { eventually, startTestEmulator, type TestEmulator } from "../support/emulator";
import { fastPort } from "./support";
import {
  applyMutations,
  bodies,
  EVENT_SHAPES,
  expectWellFormed,
  extraHeaders,
  fuzzParams,
  fuzzRuns,
  httpEvent,
  mutations,
  nastyString,
  noUnhandledRejections,
  type QueryValue,
  queries,
  timeoutFor,
} from "../support/fuzz";

const RUNS = fuzzRuns(150);
const ADMIN = "fuzz-admin-key-0123456789abcdef";
const KEYS = `admin:${ADMIN}`;

type Json = Record<string, unknown>;
interface Operation {
  method: string;
  path: string;
  query: string[];
  hasBody: boolean;
}

let t: TestEmulator;
let envId = "";
let nodeId = "";
let jobId = "";
let jobs: MainHandler;
let envs: MainHandler;
let jobsOps: Operation[] = [];
let envsOps: Operation[] = [];

const submitBody = () => ({
  Placement: { Zone: "ap-guangzhou-2" },
  Job: {
    JobName: "fuzz",
    Priority: 1,
    Tasks: [
      {
        TaskName: "t1",
        TaskInstanceNum: 1,
        Application: { DeliveryForm: "LOCAL", Command: "echo fuzz" },
        ComputeEnv: { EnvType: "MANAGED", EnvData: { InstanceType: "BS1.LARGE8", ImageId: "img-31tjrtph" } },
        RedirectInfo: { StdoutRedirectPath: "cos://logs-1250000000.cos.ap-guangzhou.myqcloud.com/fuzz/" },
      },
    ],
    Tags: [{ Key: "team", Value: "fuzz" }],
  },
});

const createEnvBody = () => ({
  Placement: { Zone: "ap-guangzhou-2" },
  ComputeEnv: { EnvName: "fuzz-env", DesiredComputeNodeCount: 0, EnvType: "MANAGED", EnvData: { InstanceType: "BS1.LARGE8", ImageId: "img-31tjrtph" } },
});

/** A valid body and query per operation ("METHOD /path"); others get `{}`. */
function validFor(op: Operation): { body: unknown; query: Record<string, QueryValue> } {
  const key = `${op.method} ${op.path}`;
  switch (key) {
    case "POST /jobs":
      return { body: submitBody(), query: {} };
    case "GET /jobs":
      return { body: "", query: { state: "SUCCEED", limit: "5", tag: "team=fuzz" } };
    case "GET /jobs/{JobId}/logs":
      return { body: "", query: { task: "t1", index: "0" } };
    case "POST /envs":
      return { body: createEnvBody(), query: {} };
    case "POST /envs/{EnvId}/scale":
      return { body: { DesiredComputeNodeCount: 1, reason: "fuzz" }, query: { dryRun: "true" } };
    case "POST /envs/{EnvId}/nodes/terminate":
      return { body: { ComputeNodeIds: [nodeId], reason: "fuzz" }, query: { dryRun: "true" } };
    case "GET /envs":
      return { body: "", query: { zone: "ap-guangzhou-2", limit: "10" } };
    default:
      return { body: "", query: {} };
  }
}

async function operationsOf(handler: MainHandler, docPath: string): Promise<Operation[]> {
  const res = await handler(httpEvent("function-url", { method: "GET", path: docPath, headers: { authorization: `Bearer ${ADMIN}` } }));
  expect(res.statusCode).toBe(200);
  const doc = JSON.parse(res.body) as { paths: Record<string, Record<string, Json>> };
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const params = (op.parameters ?? []) as Array<{ name: string; in: string }>;
      ops.push({ method: method.toUpperCase(), path, query: params.filter((p) => p.in === "query").map((p) => p.name), hasBody: !!op.requestBody });
    }
  }
  // Deletions last: they remove the resources the other operations are fuzzed against.
  return ops.sort((a, b) => Number(a.method === "DELETE") - Number(b.method === "DELETE"));
}

beforeAll(async () => {
  t = await startTestEmulator({ exec: false });
  const logger = memoryLogger({ function: "fuzz" });
  const port = fastPort(t);
  jobs = makeJobsHandler({ batch: port, region: "ap-guangzhou", keys: parseApiKeys(KEYS), logger });
  envs = makeEnvsHandler({
    port,
    policy: EnvPolicySchema.parse({ default: { cooldownSeconds: 0, maxNodes: 2 } }),
    prices: priceTableFromEnv(undefined),
    region: "ap-guangzhou",
    keys: parseApiKeys(KEYS),
    logger,
  });
  envId = (await t.port.createEnv({ ...createEnvBody(), ComputeEnv: { ...createEnvBody().ComputeEnv, EnvName: "fuzz-base", DesiredComputeNodeCount: 1 } })).envId;
  nodeId = await eventually(async () => (await t.port.getEnv(envId)).ComputeNodeSet[0]?.ComputeNodeId);
  jobId = (await t.port.submitJob(submitBody() as never)).jobId;
  await eventually(async () => (await t.port.getJob(jobId)).JobState === "SUCCEED");
  jobsOps = await operationsOf(jobs, "/openapi.json");
  envsOps = await operationsOf(envs, "/openapi/envs.json");
});
afterAll(() => t?.stop());

/** encodeURIComponent, with lone surrogates (which it refuses) replaced first. */
const encodePathSegment = (s: string) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, (c, i: number) => (/[\ud800-\udbff]/.test(c) && /[\udc00-\udfff]/.test(s[i + 1] ?? "")) || (/[\udc00-\udfff]/.test(c) && /[\ud800-\udbff]/.test(s[i - 1] ?? "")) ? c : "\ufffd"));

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "get", "post"];

/** One generated call for an operation: every part of the request may be fuzzed. */
function cases(op: Operation, ids: Record<string, string>) {
  const valid = validFor(op);
  const param = (name: string) =>
    fc.oneof(
      { weight: 6, arbitrary: fc.constant(ids[name] ?? "x") },
      { weight: 2, arbitrary: nastyString.map(encodePathSegment) },
      { weight: 1, arbitrary: nastyString },
    );
  const names = [...op.path.matchAll(/\{([A-Za-z_]+)\}/g)].map((m) => m[1]!);
  return fc.record({
    shape: fc.constantFrom(...EVENT_SHAPES),
    method: fc.oneof({ weight: 8, arbitrary: fc.constant(op.method) }, { weight: 1, arbitrary: fc.constantFrom(...METHODS) }, { weight: 1, arbitrary: nastyString }),
    prefix: fc.oneof({ weight: 6, arbitrary: fc.constant("") }, { weight: 2, arbitrary: fc.constantFrom("/release", "/test", "/prepub", "//", "/batch") }, { weight: 1, arbitrary: nastyString.map((s) => `/${s}`) }),
    params: fc.tuple(...names.map(param)),
    auth: fc.oneof(
      { weight: 12, arbitrary: fc.constant(`Bearer ${ADMIN}`) },
      { weight: 1, arbitrary: fc.constantFrom("", "Bearer", `Basic ${ADMIN}`, `Bearer ${ADMIN} extra`, `bearer\t${ADMIN}`, `Bearer ${ADMIN.slice(1)}`) },
      { weight: 1, arbitrary: nastyString.map((s) => `Bearer ${s}`) },
    ),
    headers: extraHeaders,
    query: queries(op.query, valid.query),
    body: op.hasBody ? bodies(valid.body) : fc.oneof({ weight: 4, arbitrary: fc.constant({ body: "", isBase64Encoded: false, label: "none" }) }, { weight: 1, arbitrary: bodies({}) }),
    envelope: fc.oneof({ weight: 12, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: mutations }),
  });
}

function fuzz(fn: () => MainHandler, opsOf: () => Operation[], ids: () => Record<string, string>) {
  return async (label: string) => {
    const op = opsOf().find((o) => `${o.method} ${o.path}` === label);
    expect(op, `${label} is in the OpenAPI document`).toBeDefined();
    const handler = fn();
    let statuses = new Map<number, number>();
    await noUnhandledRejections(() =>
      fc.assert(
        fc.asyncProperty(cases(op!, ids()), async (c) => {
          let i = 0;
          const path = c.prefix + op!.path.replace(/\{[A-Za-z_]+\}/g, () => c.params[i++] ?? "");
          let event: unknown = httpEvent(c.shape, {
            method: c.method,
            path,
            query: c.query,
            headers: { ...c.headers, ...(c.auth ? { authorization: c.auth } : {}) },
            body: c.body.body,
            isBase64Encoded: c.body.isBase64Encoded,
          });
          if (c.envelope) event = applyMutations(event, c.envelope);
          const res = await handler(event, { request_id: "fuzz-context" });
          const { status } = expectWellFormed(res, `${c.shape} ${c.method} ${path.slice(0, 200)} body=${c.body.label}${c.envelope ? " envelope-mutated" : ""}`);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }),
        fuzzParams(RUNS),
      ),
    );
    // The sample reached the operation itself, not only the refusals in front of it.
    const reached = [...statuses.keys()].filter((s) => s !== 400 && s !== 401 && s !== 405 && s !== 413);
    expect(reached.length, `statuses seen: ${JSON.stringify(Object.fromEntries(statuses))}`).toBeGreaterThan(0);
    statuses = new Map();
  };
}

const JOBS_OPS = ["POST /jobs", "GET /jobs", "GET /jobs/{JobId}", "POST /jobs/{JobId}/terminate", "POST /jobs/{JobId}/retry", "GET /jobs/{JobId}/instances", "GET /jobs/{JobId}/logs", "GET /openapi.json", "DELETE /jobs/{JobId}", "GET /webhooks/secret"];
const ENVS_OPS = [
  "GET /envs",
  "GET /envs/{EnvId}",
  "POST /envs",
  "POST /envs/{EnvId}/scale",
  "POST /envs/{EnvId}/nodes/terminate",
  "GET /openapi/envs.json",
  "DELETE /envs/{EnvId}",
];

describe("fuzzing the jobs API", () => {
  it("covers every operation of its OpenAPI document", () => {
    expect(jobsOps.map((o) => `${o.method} ${o.path}`).sort()).toEqual([...JOBS_OPS].sort());
  });
  const run = fuzz(() => jobs, () => jobsOps, () => ({ JobId: jobId }));
  for (const label of JOBS_OPS) it(`${label}: never a 5xx, 4xx are problem+json naming the field`, () => run(label), timeoutFor(RUNS));
});

describe("fuzzing the envs API", () => {
  it("covers every operation of its OpenAPI document", () => {
    expect(envsOps.map((o) => `${o.method} ${o.path}`).sort()).toEqual([...ENVS_OPS].sort());
  });
  const run = fuzz(() => envs, () => envsOps, () => ({ EnvId: envId }));
  for (const label of ENVS_OPS) it(`${label}: never a 5xx, 4xx are problem+json naming the field`, () => run(label), timeoutFor(RUNS));
});
