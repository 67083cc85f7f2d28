// Secret scan: end-to-end flows of all four functions against an emulator (real SDK, TC3 signing
// with a session token), including the failure paths (wrong API keys, a broken API_KEYS, Batch
// refusing our credentials, injected faults, poison events). Every log line (memory loggers and
// whatever reached stdout/stderr), every HTTP answer, every alert and every report file is
// collected, and none contains an API key, the SecretKey, the session token, a secret from a
// request body or a TC3 signature.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeHandler as makeCostHandler } from "../../functions/cost-report/handler";
import { buildPriceTable, priceTableFromEnv } from "../../shared/prices";
import { fromEnv as envsDepsFromEnv, makeHandler as makeEnvsHandler } from "../../functions/envs/entry";
import { fromEnv as jobsDepsFromEnv, makeHandler as makeJobsHandler } from "../../functions/jobs/entry";

const jobsFromEnv = (env: NodeJS.ProcessEnv, logger: Logger) => makeJobsHandler(jobsDepsFromEnv(env, logger));
const envsFromEnv = (env: NodeJS.ProcessEnv, logger: Logger) => makeEnvsHandler(envsDepsFromEnv(env, logger));
import { DEFAULT_REMEDIATION } from "../../functions/node-abnormal/config";
import { makeHandler as makeNodeAbnormal } from "../../functions/node-abnormal/handler";
import { type Emulator, startEmulator } from "../../local/emulator/server";
import { createAlerter } from "../../shared/alerts";
import { createTencentBatch } from "../../shared/batch/tencent-adapter";
import { EnvPolicySchema } from "../../shared/env-policy";
import { type MainHandler, parseApiKeys } from "../../shared/http";
import { createLogger, type Logger } from "../../shared/log";
import { createFsReportStore } from "../../shared/report-store";
import cmqFixture from "../fixtures/cmq-batch-node-event.json";
import timerFixture from "../fixtures/timer.json";
import { eventually } from "../support/emulator";
import { httpEvent } from "../support/fuzz";
import { startLossyProxy } from "./support";

const SECRET_ID = "AKIDsecretscan00000000000000000000";
const SECRET_KEY = "SCANsecretKEY-9f8e7d6c5b4a39281706";
const TOKEN = "SCANsessionTOKEN-0a1b2c3d4e5f60718293";
const WRONG_SECRET_KEY = "SCANwrongSECRET-1122334455667788aa";
const WRITER = "SCANwriterAPIkey-44556677889900aabb";
const READER = "SCANreaderAPIkey-ccddeeff0011223344";
const PRESENTED_WRONG = "SCANpresentedWRONGkey-5566778899aa";
const MISCONFIGURED = "SCANmisconfiguredKEY-bbccddeeff0011";
const USER_SECRET = "SCANuserCOSsecret-d00dfeedbeefcafe00";
const API_KEYS = `writer:${WRITER}:jobs:*|envs:*,reader:${READER}:jobs:read|envs:read`;

/** What must never appear anywhere a person or a log pipeline can read. */
const FORBIDDEN: Array<[string, RegExp]> = [
  ["SecretKey", new RegExp(SECRET_KEY)],
  ["wrong SecretKey", new RegExp(WRONG_SECRET_KEY)],
  ["session token", new RegExp(TOKEN)],
  ["writer API key", new RegExp(WRITER)],
  ["reader API key", new RegExp(READER)],
  ["presented wrong API key", new RegExp(PRESENTED_WRONG)],
  ["misconfigured API key", new RegExp(MISCONFIGURED)],
  ["secret from a request body", new RegExp(USER_SECRET)],
  ["TC3 authorization", /TC3-HMAC-SHA256/],
  ["TC3 signature", /Signature=[0-9a-f]/],
];

const collected: Array<{ where: string; text: string }> = [];
const keep = (where: string, text: string): void => {
  collected.push({ where, text });
};

/** A logger whose lines all land in `collected` (through the real JSON-line writer and its redaction). */
const scanLogger = (fn: string): Logger => createLogger({ function: fn }, { sink: (line) => keep(`log:${fn}`, line), level: "debug" });

let emu: Emulator;
/** What went over the wire to Batch (through a recording proxy): where the secrets must be. */
let wire: Awaited<ReturnType<typeof startLossyProxy>>;
const wireText: string[] = [];
let dataDir: string;
let cosDir: string;
const realStdout = process.stdout.write.bind(process.stdout);
const realStderr = process.stderr.write.bind(process.stderr);

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "secret-scan-"));
  cosDir = mkdtempSync(join(tmpdir(), "secret-scan-cos-"));
  emu = await startEmulator({
    dataDir,
    credentials: [{ secretId: SECRET_ID, secretKey: SECRET_KEY }],
    timings: { nodeSubmitMs: 20, nodeCreateMs: 40, nodeStartMs: 40, nodeDeleteMs: 40, anonymousNodeMs: 20, tickMs: 20 },
    exec: false,
  });
  wire = await startLossyProxy(emu.url, { dropRate: 0, onRequest: (h, b) => wireText.push(`${JSON.stringify(h)} ${b.toString("utf8")}`) });
  // Whatever any code writes to stdout/stderr during the flows is scanned too.
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    keep("stdout", String(chunk));
    return realStdout(chunk, ...(rest as []));
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    keep("stderr", String(chunk));
    return realStderr(chunk, ...(rest as []));
  }) as typeof process.stderr.write;
});
afterAll(async () => {
  process.stdout.write = realStdout;
  process.stderr.write = realStderr;
  await wire?.close();
  await emu?.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(cosDir, { recursive: true, force: true });
});

const port = (secretKey: string, logger: Logger) =>
  createTencentBatch({
    region: "ap-guangzhou",
    endpoint: wire.url,
    credentials: () => ({ secretId: SECRET_ID, secretKey, token: TOKEN }),
    retry: { baseMs: 5, capMs: 20, maxAttempts: 3 },
    limiter: { take: async () => {} },
    logger,
  });

async function send(h: MainHandler, where: string, method: string, path: string, o: { key?: string; body?: unknown; headers?: Record<string, string>; query?: Record<string, string> } = {}) {
  const res = await h(
    httpEvent("apigw-captured", {
      method,
      path,
      query: o.query ?? {},
      headers: { "content-type": "application/json", ...(o.key === undefined ? { authorization: `Bearer ${WRITER}` } : o.key ? { authorization: `Bearer ${o.key}` } : {}), ...(o.headers ?? {}) },
      body: o.body === undefined ? "" : JSON.stringify(o.body),
    }),
    { request_id: `scan-${where}` },
  );
  keep(`answer:${where} ${method} ${path}`, JSON.stringify(res));
  return { status: res.statusCode, json: (res.body ? JSON.parse(res.body) : {}) as Record<string, unknown> };
}

const faults = (method: string, body?: unknown) => fetch(`${emu.url}/_emulator/faults`, { method, ...(body ? { body: JSON.stringify(body) } : {}) });

const submitBody = (name: string, extra: Record<string, unknown> = {}) => ({
  Placement: { Zone: "ap-guangzhou-2" },
  Job: {
    JobName: name,
    Tasks: [
      {
        TaskName: "t1",
        Application: { DeliveryForm: "LOCAL", Command: "echo scan" },
        ComputeEnv: { EnvType: "MANAGED", EnvData: { InstanceType: "BS1.LARGE8", ImageId: "img-31tjrtph" } },
        Authentications: [{ Scene: "COS", SecretId: "AKIDusercos0000000000000000000000", SecretKey: USER_SECRET }],
        ...extra,
      },
    ],
  },
});

describe("secret scan over end-to-end flows", () => {
  it("runs the jobs API: submits (dry run, idempotent replay), reads, actions, refusals, Batch failures", async () => {
    const logger = scanLogger("jobs");
    const jobs = makeJobsHandler({ batch: port(SECRET_KEY, logger), region: "ap-guangzhou", keys: parseApiKeys(API_KEYS), logger });
    const dry = await send(jobs, "dry-run", "POST", "/jobs", { body: submitBody("scan-dry"), query: { dryRun: "true" } });
    expect(dry.status).toBe(200);
    const created = await send(jobs, "submit", "POST", "/jobs", { body: submitBody("scan-1"), headers: { "idempotency-key": "scan-key-1" } });
    expect(created.status).toBe(201);
    const replay = await send(jobs, "replay", "POST", "/jobs", { body: submitBody("scan-1"), headers: { "idempotency-key": "scan-key-1" } });
    expect(replay.json.JobId).toBe(created.json.JobId);
    const reused = await send(jobs, "reused", "POST", "/jobs", { body: submitBody("scan-2"), headers: { "idempotency-key": "scan-key-1" } });
    expect(reused.status).toBe(409);
    const jobId = created.json.JobId as string;
    await eventually(async () => (await send(jobs, "poll", "GET", `/jobs/${jobId}`)).json.JobState === "SUCCEED");
    for (const [m, p] of [
      ["GET", "/jobs"],
      ["GET", `/jobs/${jobId}/logs`],
      ["POST", `/jobs/${jobId}/terminate`],
      ["POST", `/jobs/${jobId}/retry`],
      ["GET", "/jobs/job-zzzzzzzz"],
      ["GET", "/openapi.json"],
    ] as const)
      await send(jobs, "read", m, p);
    // Bad bodies that carry secrets: refused, and the refusal does not repeat them.
    const bad = await send(jobs, "bad-body", "POST", "/jobs", { body: submitBody("scan-bad", { Authentications: [{ Scene: "COS", SecretId: "x", SecretKey: USER_SECRET, Token: USER_SECRET }] }) });
    expect(bad.status).toBe(400);
    await send(jobs, "bad-json", "POST", "/jobs", { body: undefined, headers: { "content-type": "application/json" } });
    await jobs(httpEvent("function-url", { method: "POST", path: "/jobs", headers: { authorization: `Bearer ${WRITER}` }, body: `{"Job":{"Tasks":[{"Authentications":[{"SecretKey":"${USER_SECRET}"` }));
    // Wrong and insufficient keys.
    expect((await send(jobs, "wrong-key", "POST", "/jobs", { key: PRESENTED_WRONG, body: submitBody("x") })).status).toBe(401);
    expect((await send(jobs, "reader", "POST", "/jobs", { key: READER, body: submitBody("x") })).status).toBe(403);
    // Batch refuses our credentials; then Batch fails (throttling and internal errors, retried).
    const badCreds = makeJobsHandler({ batch: port(WRONG_SECRET_KEY, logger), region: "ap-guangzhou", keys: parseApiKeys(API_KEYS), logger });
    expect((await send(badCreds, "auth-failure", "POST", "/jobs", { body: submitBody("scan-3") })).status).toBe(502);
    expect((await send(badCreds, "auth-failure", "GET", `/jobs/${jobId}`)).status).toBe(502);
    await faults("POST", { action: "*", code: "InternalError" });
    try {
      expect((await send(jobs, "internal-error", "POST", "/jobs", { body: submitBody("scan-4") })).status).toBe(503);
    } finally {
      await faults("DELETE");
    }
    await send(jobs, "delete", "DELETE", `/jobs/${jobId}`);
  });

  it("runs the jobs and envs functions as SCF builds them (config from the environment, logs to stdout)", async () => {
    const env = {
      TENCENTCLOUD_REGION: "ap-guangzhou",
      TENCENTCLOUD_SECRETID: SECRET_ID,
      TENCENTCLOUD_SECRETKEY: SECRET_KEY,
      TENCENTCLOUD_SESSIONTOKEN: TOKEN,
      BATCH_ENDPOINT: wire.url,
      API_KEYS,
    };
    const jobs = jobsFromEnv(env, createLogger({ function: "jobs" }));
    expect((await send(jobs, "env-jobs", "POST", "/jobs", { body: submitBody("scan-env") })).status).toBe(201);
    expect((await send(jobs, "env-jobs", "GET", "/jobs", { key: PRESENTED_WRONG })).status).toBe(401);
    const envs = envsFromEnv(env, createLogger({ function: "envs" }));
    expect((await send(envs, "env-envs", "GET", "/envs")).status).toBe(200);
    // A broken API_KEYS is logged (why) and refused, without the key it contains.
    const broken = jobsFromEnv({ ...env, API_KEYS: `ci:${MISCONFIGURED}:NOT-A-SCOPE` }, createLogger({ function: "jobs" }));
    expect((await send(broken, "broken-keys", "GET", "/jobs", { key: MISCONFIGURED })).status).toBe(503);
    const noKeyName = envsFromEnv({ ...env, API_KEYS: MISCONFIGURED }, createLogger({ function: "envs" }));
    expect((await send(noKeyName, "broken-keys", "GET", "/envs", { key: MISCONFIGURED })).status).toBe(503);
    // Wrong credentials from the environment.
    const wrong = envsFromEnv({ ...env, TENCENTCLOUD_SECRETKEY: WRONG_SECRET_KEY }, createLogger({ function: "envs" }));
    expect((await send(wrong, "env-wrong-creds", "GET", "/envs")).status).toBe(502);
  });

  it("runs the envs API: create, read, scale, terminate, delete, refusals, Batch failures", async () => {
    const logger = scanLogger("envs");
    const envs = makeEnvsHandler({
      port: port(SECRET_KEY, logger),
      policy: EnvPolicySchema.parse({ default: { cooldownSeconds: 0, maxNodes: 3 } }),
      prices: priceTableFromEnv(undefined),
      region: "ap-guangzhou",
      keys: parseApiKeys(API_KEYS),
      logger,
    });
    const body = {
      Placement: { Zone: "ap-guangzhou-2" },
      ComputeEnv: {
        EnvName: "scan-env",
        DesiredComputeNodeCount: 1,
        EnvType: "MANAGED",
        EnvData: { InstanceType: "BS1.LARGE8", ImageId: "img-31tjrtph" },
        Authentications: [{ Scene: "COS", SecretId: "AKIDusercos0000000000000000000000", SecretKey: USER_SECRET }],
      },
    };
    const created = await send(envs, "create", "POST", "/envs", { body, headers: { "x-change-reason": "scan" } });
    expect(created.status).toBe(201);
    const envId = created.json.EnvId as string;
    const node = await eventually(async () => {
      const r = await send(envs, "poll", "GET", `/envs/${envId}`);
      return ((r.json.ComputeNodes ?? []) as Array<{ ComputeNodeId: string }>)[0]?.ComputeNodeId;
    });
    await send(envs, "list", "GET", "/envs");
    await send(envs, "scale", "POST", `/envs/${envId}/scale`, { body: { DesiredComputeNodeCount: 2, reason: "scan" } });
    await send(envs, "scale-dry", "POST", `/envs/${envId}/scale`, { body: { delta: 1 }, query: { dryRun: "true" } });
    await send(envs, "terminate", "POST", `/envs/${envId}/nodes/terminate`, { body: { ComputeNodeIds: [node], reason: "scan" }, query: { dryRun: "true" } });
    await send(envs, "bad", "POST", "/envs", { body: { ...body, ComputeEnv: { ...body.ComputeEnv, Authentications: [{ Scene: 7, SecretKey: USER_SECRET }] } } });
    expect((await send(envs, "wrong-key", "GET", "/envs", { key: PRESENTED_WRONG })).status).toBe(401);
    await faults("POST", { action: "*", code: "RequestLimitExceeded" });
    try {
      expect((await send(envs, "throttled", "GET", `/envs/${envId}`)).status).toBe(429);
    } finally {
      await faults("DELETE");
    }
    await send(envs, "delete", "DELETE", `/envs/${envId}`, { query: { force: "true" } });
  });

  it("runs node-abnormal (events, poison, a failing pass) and cost-report (timer, files)", async () => {
    const logger = scanLogger("node-abnormal");
    const alerts: string[] = [];
    const alerter = createAlerter({ logger, source: "node-abnormal", webhookUrl: "http://127.0.0.1:9/alerts", fetchImpl: (async (_u: unknown, init?: { body?: unknown }) => {
      alerts.push(String(init?.body));
      return new Response(null, { status: 204 });
    }) as typeof fetch });
    const batch = port(SECRET_KEY, logger);
    const { envId } = await batch.createEnv({
      Placement: { Zone: "ap-guangzhou-3" },
      ComputeEnv: { EnvName: "scan-remediate", DesiredComputeNodeCount: 2, EnvData: { InstanceType: "S5.MEDIUM4", ImageId: "img-31tjrtph" } },
    });
    const nodes = await eventually(async () => {
      const e = await batch.getEnv(envId);
      return e.ComputeNodeSet.length === 2 && e.ComputeNodeSet.every((n) => n.ComputeNodeState === "RUNNING") ? e.ComputeNodeSet.map((n) => n.ComputeNodeId) : undefined;
    });
    await fetch(`${emu.url}/_emulator/nodes/${nodes[0]}/abnormal`, { method: "POST" });
    const msgBody = JSON.stringify({ Events: [{ EventVersion: "1.0", EventTime: new Date().toISOString(), Region: "ap-guangzhou", EventName: "COMPUTE_NODE_ABNORMAL", EventVars: [], Batch: { EnvId: envId, ComputeNodeId: nodes[0] } }] });
    const event = { Records: [{ CMQ: { ...cmqFixture.Records[0]!.CMQ, msgBody } }, { CMQ: { ...cmqFixture.Records[0]!.CMQ, msgId: "poison", msgBody: `{"SecretKey":"${USER_SECRET}"` } }] };
    const deps = { policy: EnvPolicySchema.parse({}), config: { ...DEFAULT_REMEDIATION, graceSeconds: 0, cooldownSeconds: 0 }, logger, alerter, region: "ap-guangzhou" };
    await makeNodeAbnormal({ ...deps, batch: port(WRONG_SECRET_KEY, logger) })(event).catch((e: Error) => keep("thrown:node-abnormal", `${e.message} ${JSON.stringify(e)}`));
    const summary = await makeNodeAbnormal({ ...deps, batch })(event);
    keep("answer:node-abnormal", JSON.stringify(summary));
    await makeNodeAbnormal({ ...deps, batch })(timerFixture);
    for (const a of alerts) keep("alert:node-abnormal", a);

    const costLogger = scanLogger("cost-report");
    const dest = "cos://reports-1250000000.cos.ap-guangzhou.myqcloud.com/scan/";
    const cost = (secretKey: string) =>
      makeCostHandler({
        config: { prices: buildPriceTable(), budgets: { total: { monthly: 1 }, envs: {}, tags: {} }, idleAlertHours: 0, timeZone: "Asia/Shanghai" },
        batch: port(secretKey, costLogger),
        store: createFsReportStore({ dest, baseDir: cosDir }),
        alerter: { send: async (a) => keep("alert:cost-report", JSON.stringify(a)) },
        logger: costLogger,
      });
    keep("answer:cost-report", JSON.stringify(await cost(SECRET_KEY)({ ...timerFixture, Time: new Date().toISOString() }, { request_id: "scan" })));
    await cost(WRONG_SECRET_KEY)({ ...timerFixture, Time: new Date().toISOString() }, { request_id: "scan" }).catch((e: Error) => keep("thrown:cost-report", `${e.message} ${JSON.stringify(e)}`));
    const walk = (dir: string): string[] => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
    const files = walk(cosDir);
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const f of files) keep(`file:${f}`, readFileSync(f, "utf8"));
  });

  it("finds no secret in any log line, answer, alert or file", async () => {
    // Control: the secrets did flow through the system; the same patterns find them on the wire to Batch.
    const onWire = wireText.join("\n");
    for (const [what, re] of FORBIDDEN.filter(([w]) => ["session token", "secret from a request body", "TC3 authorization", "TC3 signature"].includes(w)))
      expect(re.test(onWire), `${what} on the wire`).toBe(true);
    const kinds = new Set(collected.map((c) => c.where.split(":")[0]));
    // The scan saw every kind of output (a scan over nothing would pass).
    for (const k of ["log", "stdout", "answer", "file"]) expect(kinds, `collected ${[...kinds].join(", ")}`).toContain(k);
    expect(collected.filter((c) => c.where.startsWith("log:")).length).toBeGreaterThan(30);
    // The flows did meet the secrets: the Batch request carried the body's secret, the failures were real.
    expect(collected.some((c) => c.where.startsWith("log") && c.text.includes("AuthFailure"))).toBe(true);
    expect(collected.some((c) => c.where.startsWith("stdout") && c.text.includes("API keys unusable"))).toBe(true);
    const leaks: string[] = [];
    for (const c of collected)
      for (const [what, re] of FORBIDDEN) {
        const m = re.exec(c.text);
        if (m) leaks.push(`${what} in ${c.where}: …${c.text.slice(Math.max(0, m.index - 120), m.index + 60)}…`);
      }
    expect(leaks).toEqual([]);
  });
});
