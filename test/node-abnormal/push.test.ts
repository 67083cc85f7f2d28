// node-abnormal's HTTP push entry in-process: the topic's push (documented JSON format, fixture
// test/fixtures/cmq-http-push.json, and SIMPLIFIED) in either HTTP event shape, over an
// in-memory Batch port that counts calls.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_REMEDIATION } from "../../functions/node-abnormal/config";
import { MAX_ENVS_PER_INVOCATION, makeHandler } from "../../functions/node-abnormal/handler";
import { makePushHandler, maskPushPath } from "../../functions/node-abnormal/push";
import { createAlerter } from "../../shared/alerts";
import type { ComputeEnv } from "../../shared/batch/models";
import { EnvPolicySchema } from "../../shared/env-policy";
import { AppError } from "../../shared/errors";
import { memoryLogger } from "../../shared/log";
import { parseCmqPush } from "../../shared/triggers/cmq-push";
import { ago } from "./support";

const fixtureText = readFileSync(join(__dirname, "../fixtures/cmq-http-push.json"), "utf8");
const pushFixture = () => JSON.parse(fixtureText) as Record<string, unknown> & { msgBody: string };
const functionUrl = JSON.parse(readFileSync(join(__dirname, "../fixtures/function-url.json"), "utf8")) as Record<string, unknown>;
const apigwCaptured = JSON.parse(readFileSync(join(__dirname, "../fixtures/apigw-captured-style.json"), "utf8")) as Record<string, unknown>;

const TOKEN = "tok_3q2-VnJ0aGlzIGlzIGEgdGVzdCB0b2tlbg";

/** Batch with the given envs, each with one ABNORMAL node among `size`; counts every call. */
function memoryBatch(envIds: string[], size = 3, failGetEnv?: AppError) {
  const envs = new Map<string, ComputeEnv>();
  for (const id of envIds) {
    envs.set(id, {
      EnvId: id,
      EnvName: `name-${id}`,
      Placement: { Zone: "ap-guangzhou-3" },
      CreateTime: ago(7200),
      DesiredComputeNodeCount: size,
      ComputeNodeMetrics: { SubmittedCount: 0, CreatingCount: 0, CreationFailedCount: 0, CreatedCount: 0, RunningCount: size - 1, DeletingCount: 0, AbnormalCount: 1 },
      AttachedComputeNodeCount: 0,
      RequestId: "r",
      ComputeNodeSet: Array.from({ length: size }, (_, i) => ({
        ComputeNodeId: i === 0 ? nodeOf(id) : `node-${id.slice(4, 10)}${i}x`.slice(0, 13),
        ComputeNodeState: i === 0 ? "ABNORMAL" : "RUNNING",
        Cpu: 2,
        Mem: 4,
        ResourceCreatedTime: ago(7200),
        TaskInstanceNumAvailable: 1,
      })),
    } as ComputeEnv);
  }
  const calls: string[] = [];
  return {
    calls,
    batch: {
      async getEnv(id: string) {
        calls.push(`getEnv:${id}`);
        if (failGetEnv) throw failGetEnv;
        const e = envs.get(id);
        if (!e) throw new AppError("batch.ResourceNotFound.ComputeEnv", "no such env", { status: 404 });
        return structuredClone(e);
      },
      listEnvs: async () => ({ items: [...envs.values()], total: envs.size }),
      async listEnvActivities() {
        calls.push("listEnvActivities");
        return { items: [], total: 0 };
      },
      async terminateNodes(id: string, ids: string[]) {
        calls.push(`terminate:${id}:${ids.join(",")}`);
        return { requestId: "r" };
      },
      async setDesiredNodes(id: string, desired: number) {
        calls.push(`desired:${id}:${desired}`);
        return { requestId: "r" };
      },
    },
  };
}
const nodeOf = (envId: string) => `node-${envId.slice(4)}`;

function harness(o: { envs?: string[]; token?: string | undefined; failGetEnv?: AppError } = {}) {
  const m = memoryBatch(o.envs ?? ["env-ptoxdb1t"], 3, o.failGetEnv);
  const logger = memoryLogger({ function: "node-abnormal" });
  const core = makeHandler({
    batch: m.batch,
    policy: EnvPolicySchema.parse({}),
    config: { ...DEFAULT_REMEDIATION, graceSeconds: 0 },
    logger,
    alerter: createAlerter({ logger, source: "node-abnormal" }),
    region: "ap-guangzhou",
  });
  const push = makePushHandler({ handler: core, token: "token" in o ? o.token : TOKEN, logger });
  const call = async (event: unknown) => {
    const r = await push(event, { request_id: "scf-req-1" });
    return { ...r, json: JSON.parse(r.body) as Record<string, unknown> };
  };
  return { ...m, logger, call };
}

/** The push as a Function URL event (the documented request: text/plain, x-cmq-* headers). */
function pushEvent(body: string, o: { path?: string; method?: string; msgId?: string } = {}): Record<string, unknown> {
  const e = structuredClone(functionUrl);
  e.httpMethod = o.method ?? "POST";
  e.path = o.path ?? `/cmq/${TOKEN}`;
  e.queryString = {};
  e.body = body;
  e.headers = {
    "content-type": "text/plain",
    "user-agent": "Qcloud Notification Service Agent",
    "x-cmq-request-id": "2394928734",
    "x-cmq-message-id": o.msgId ?? "6942316962",
    "x-scf-remote-addr": "10.0.0.1",
  };
  return e;
}

const batchMessage = (envIds: string[]) =>
  JSON.stringify({
    Events: envIds.map((id) => ({
      EventVersion: "1.0",
      EventTime: "2018-06-15T14:43:17Z",
      Region: "ap-guangzhou",
      EventName: "COMPUTE_NODE_ABNORMAL",
      EventVars: [],
      Batch: { ComputeNodeId: nodeOf(id), EnvId: id, ComputeNodeState: "ABNORMAL" },
    })),
  });

const logged = (h: ReturnType<typeof harness>) => JSON.stringify(h.logger.lines);

describe("node-abnormal: the topic's HTTP push", () => {
  it("with the right token, remediates the env the pushed event names and answers 200 with the summary", async () => {
    const h = harness();
    const r = await h.call(pushEvent(fixtureText));
    expect(r.statusCode).toBe(200);
    expect(r.json).toMatchObject({ messages: 1, poison: 0, events: 1, envs: [{ env: "env-ptoxdb1t", outcome: "done", decisions: { replaced: ["node-ptoxdb1t"] } }], deferred: [] });
    expect(h.calls).toEqual(["getEnv:env-ptoxdb1t", "terminate:env-ptoxdb1t:node-ptoxdb1t", "desired:env-ptoxdb1t:3"]);
    // One access line, the token masked; the token nowhere in the logs nor the answer.
    expect(h.logger.lines.filter((l) => l.msg === "request")).toEqual([expect.objectContaining({ method: "POST", path: "/cmq/***", status: 200, request_id: "scf-req-1" })]);
    expect(logged(h)).not.toContain(TOKEN);
    expect(r.body).not.toContain(TOKEN);
  });

  it("accepts the API Gateway shape too, with a stage segment", async () => {
    const h = harness();
    const e = structuredClone(apigwCaptured) as Record<string, unknown> & { requestContext: Record<string, unknown> };
    Object.assign(e, { httpMethod: "POST", path: `/release/cmq/${TOKEN}`, body: fixtureText, queryString: {}, queryStringParameters: {} });
    e.requestContext = { ...e.requestContext, httpMethod: "POST", path: "/cmq/{token}" };
    const r = await h.call(e);
    expect(r.statusCode).toBe(200);
    expect(h.calls[0]).toBe("getEnv:env-ptoxdb1t");
    expect(h.logger.lines.find((l) => l.msg === "request")).toMatchObject({ path: "/release/cmq/***" });
  });

  it.each([
    ["a wrong token", `/cmq/${TOKEN}x`],
    ["a token that differs in one character", `/cmq/${TOKEN.slice(0, -1)}h`],
    ["no token", "/cmq"],
    ["an empty token", "/cmq/"],
  ])("refuses %s with 403 and makes no Batch call", async (_what, path) => {
    const h = harness();
    const r = await h.call(pushEvent(fixtureText, { path }));
    expect(r.statusCode).toBe(403);
    expect(r.headers["content-type"]).toBe("application/problem+json");
    expect(r.json).toMatchObject({ code: "forbidden", status: 403 });
    expect(h.calls).toEqual([]);
    expect(logged(h)).not.toContain(TOKEN);
  });

  it("refuses every push with 503 when CMQ_PUSH_TOKEN is not configured, logged once, no Batch call", async () => {
    const h = harness({ token: undefined });
    const first = await h.call(pushEvent(fixtureText));
    const second = await h.call(pushEvent(fixtureText));
    expect([first.statusCode, second.statusCode]).toEqual([503, 503]);
    expect(first.json).toMatchObject({ code: "push_not_configured" });
    expect(h.logger.lines.filter((l) => String(l.msg).includes("CMQ_PUSH_TOKEN is not set"))).toHaveLength(1);
    expect(h.calls).toEqual([]);
    await expect(harness({ token: "" }).call(pushEvent(fixtureText))).resolves.toMatchObject({ statusCode: 503 });
  });

  it("answers 404 to any other path or method, before looking at a token", async () => {
    const h = harness();
    expect((await h.call(pushEvent(fixtureText, { method: "GET" }))).statusCode).toBe(404);
    expect((await h.call(pushEvent(fixtureText, { path: "/envs" }))).statusCode).toBe(404);
    expect((await h.call(pushEvent(fixtureText, { path: `/cmq/${TOKEN}/more` }))).statusCode).toBe(404);
    expect(h.calls).toEqual([]);
    expect(logged(h)).not.toContain(TOKEN);
  });

  it("reads the SIMPLIFIED format: the body is Batch's message, the msgId in x-cmq-message-id", async () => {
    const h = harness();
    const r = await h.call(pushEvent(pushFixture().msgBody, { msgId: "simple-1" }));
    expect(r.statusCode).toBe(200);
    expect(r.json).toMatchObject({ messages: 1, envs: [{ env: "env-ptoxdb1t", decisions: { replaced: ["node-ptoxdb1t"] } }] });
    // A SIMPLIFIED body base64-encoded is read too.
    const b64 = await harness().call(pushEvent(Buffer.from(pushFixture().msgBody).toString("base64")));
    expect(b64.json).toMatchObject({ messages: 1, poison: 0 });
  });

  it("answers 200 to a poison message (a retry would fail the same way) and logs it by msgId", async () => {
    const h = harness();
    const r = await h.call(pushEvent(JSON.stringify({ ...pushFixture(), msgId: "poison-7", msgBody: "%%% not json" })));
    expect(r.statusCode).toBe(200);
    expect(r.json).toMatchObject({ messages: 0, poison: 1, envs: [] });
    expect(h.logger.lines.filter((l) => l.msg === "poison message dropped")).toEqual([expect.objectContaining({ msgId: "poison-7", level: "error" })]);
    const junk = await h.call(pushEvent("not a message at all", { msgId: "junk-1" }));
    expect(junk.statusCode).toBe(200);
    expect(h.logger.lines.filter((l) => l.msg === "poison message dropped").at(-1)).toMatchObject({ msgId: "junk-1" });
    expect(h.calls).toEqual([]);
  });

  it(`reads at most ${MAX_ENVS_PER_INVOCATION} envs per push; the rest are left to the sweep`, async () => {
    const envs = Array.from({ length: 15 }, (_, i) => `env-bulk${String(i).padStart(4, "0")}`);
    const h = harness({ envs });
    const r = await h.call(pushEvent(JSON.stringify({ ...pushFixture(), msgBody: batchMessage(envs) })));
    expect(r.statusCode).toBe(200);
    expect(h.calls.filter((c) => c.startsWith("getEnv:"))).toHaveLength(MAX_ENVS_PER_INVOCATION);
    expect(r.json.deferred).toEqual(envs.slice(MAX_ENVS_PER_INVOCATION));
    expect(h.logger.lines.find((l) => l.msg === "envs deferred to the sweep")).toMatchObject({ level: "warn", envs: envs.slice(MAX_ENVS_PER_INVOCATION) });
  });

  it("ignores events for another region: no Batch call", async () => {
    const h = harness();
    const body = pushFixture();
    body.msgBody = body.msgBody.replace('"Region":"ap-guangzhou"', '"Region":"ap-shanghai"');
    const r = await h.call(pushEvent(JSON.stringify(body)));
    expect(r.statusCode).toBe(200);
    expect(r.json.ignored).toEqual({ "COMPUTE_NODE_ABNORMAL(region ap-shanghai)": 1 });
    expect(h.calls).toEqual([]);
  });

  it("answers 503 with Retry-After when a transient Batch failure left the env unhandled, so CMQ pushes again", async () => {
    const h = harness({ failGetEnv: new AppError("batch.InternalError", "Batch DescribeComputeEnv failed: InternalError", { status: 503 }) });
    const r = await h.call(pushEvent(fixtureText));
    expect(r.statusCode).toBe(503);
    expect(r.headers["retry-after"]).toMatch(/^\d+$/);
    expect(r.json).toMatchObject({ code: "retry_later" });
  });

  it("refuses a body over 1 MB with 413", async () => {
    const h = harness();
    const r = await h.call(pushEvent(`{"msgBody":"${"x".repeat(1024 * 1024 + 10)}"}`));
    expect(r.statusCode).toBe(413);
    expect(h.calls).toEqual([]);
  });
});

describe("CMQ push envelope", () => {
  it("reads the documented JSON format into the same messages as the trigger's", () => {
    const p = parseCmqPush(fixtureText);
    expect(p).toMatchObject({ format: "json", poison: [], messages: [{ msgId: "6942316962", topicName: "batch-node-events", malformedEvents: 0 }] });
    expect(p.messages[0]!.events[0]).toMatchObject({ name: "COMPUTE_NODE_ABNORMAL", envId: "env-ptoxdb1t", nodeId: "node-0iy7wxyo", region: "ap-guangzhou" });
  });

  it("accepts PascalCase keys, string or number ids and times, and a msgTag", () => {
    const f = pushFixture();
    const pascal = { TopicOwner: "1250000000", TopicName: f.topicName, SubscriptionName: f.subscriptionName, MsgId: 42, MsgBody: f.msgBody, PublishTime: "1529073799", MsgTag: ["a"] };
    const p = parseCmqPush(JSON.stringify(pascal));
    expect(p).toMatchObject({ format: "json", poison: [], messages: [{ msgId: "42", topicName: "batch-node-events" }] });
  });

  it("a JSON envelope without a usable body is poison, named by msgId", () => {
    expect(parseCmqPush(JSON.stringify({ ...pushFixture(), msgBody: "" })).poison).toEqual([{ msgId: "6942316962", reason: "msgBody is missing or empty" }]);
    expect(parseCmqPush(JSON.stringify({ ...pushFixture(), msgBody: '{"Events":[]}' })).poison).toEqual([{ msgId: "6942316962", reason: "Events is empty" }]);
  });

  it("masks the token in any path", () => {
    expect(maskPushPath("/cmq/secret")).toBe("/cmq/***");
    expect(maskPushPath("/release/cmq/secret/more")).toBe("/release/cmq/***");
    expect(maskPushPath("/envs")).toBe("/envs");
  });
});
