// Job notifications end to end: POST /jobs with Notify (the jobs function in-process), the job run
// by the emulator, the events Batch published to the job-events topic pushed to job-notify as the
// topic pushes them (HTTP, JSON format, /cmq/<token>), job-notify reading the job from the emulator
// through the real SDK and delivering to a receiver on 127.0.0.1, the app reading its secret from
// GET /webhooks/secret and verifying the delivery as the README says.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeHandler as makeJobs } from "../../functions/jobs/entry";
import { DELIVERY_RETRY, makeHandler as makeNotify } from "../../functions/job-notify/entry";
import { makeDeliver } from "../../functions/job-notify/deliver";
import { cmqPushBody } from "../../local/stack/events";
import { startWebhookReceiver, type WebhookReceiver, verifyStandardWebhook } from "../../local/webhook-receiver";
import { oneRegion } from "../../shared/batch/regions";
import { parseApiKeys } from "../../shared/http";
import { memoryLogger } from "../../shared/log";
import { webhookConfigFromEnv } from "../../shared/webhooks/config";
import { eventually, startTestEmulator, type TestEmulator } from "../support/emulator";

const KEY = "notify-app-key-0123456789";
const MASTER = "a".repeat(64);
const TOPIC = "batch-job-events";
const TOKEN = "push-token-0123456789abcdef";
type Json = Record<string, unknown>;
const DOCUMENTED = JSON.parse(readFileSync(new URL("../fixtures/submit-job-documented.json", import.meta.url), "utf8")) as Json;

let t: TestEmulator;
let receiver: WebhookReceiver;
beforeAll(async () => {
  t = await startTestEmulator();
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await t?.stop();
  await receiver?.close();
});

describe("job notifications through the emulator", () => {
  it("submit with Notify → JOB_SUCCEED published → pushed to job-notify → a signed delivery the app verifies with its secret", async () => {
    const env = { JOB_EVENTS_TOPIC: TOPIC, WEBHOOK_ALLOW_LOOPBACK_HTTP: "true" };
    const jobs = makeJobs({
      regions: oneRegion("ap-guangzhou", t.port),
      region: "ap-guangzhou",
      keys: parseApiKeys(`render-app:${KEY}:jobs:read|jobs:write`),
      logger: memoryLogger({ function: "jobs" }),
      webhooks: webhookConfigFromEnv(env),
      signingKeys: [MASTER],
    });
    const call = async (method: string, path: string, body?: unknown) => {
      const r = await jobs({ httpMethod: method, path, headers: { authorization: `Bearer ${KEY}` }, body: body === undefined ? "" : JSON.stringify(body), queryString: {} });
      return { status: r.statusCode, headers: r.headers, json: JSON.parse(r.body) as Json };
    };
    const url = `${receiver.url}/hooks/render?tenant=t1`;
    const sub = await call("POST", "/jobs", { ...DOCUMENTED, Notify: { Url: url } });
    expect(sub.status, JSON.stringify(sub.json)).toBe(201);
    const jobId = sub.json.JobId as string;

    const destination = webhookConfigFromEnv(env).destination;
    const logger = memoryLogger({ function: "job-notify" });
    const notify = makeNotify({
      config: { region: "ap-guangzhou", batchEndpoint: undefined, pushToken: TOKEN, masters: [MASTER], destination, jobsApiUrl: "https://jobs.example.com", deadLetterFile: undefined },
      regions: oneRegion("ap-guangzhou", t.port),
      region: "ap-guangzhou",
      logger,
      destination,
      jobsApiUrl: "https://jobs.example.com",
      deliver: makeDeliver({ masters: [MASTER], destination, retry: DELIVERY_RETRY }),
    });
    // What Batch published for the job on the job-events topic, pushed the way TDMQ pushes it.
    const published = await eventually(() => t.published.find((p) => p.topic === TOPIC && p.body.includes(jobId) && p.body.includes("JOB_SUCCEED")), 15_000);
    const push = await notify({
      httpMethod: "POST",
      path: `/cmq/${TOKEN}`,
      headers: { "content-type": "text/plain", "x-cmq-message-id": "1" },
      body: JSON.stringify(cmqPushBody({ topic: TOPIC, subscription: "batch-scf-prod-job-notify", msgBody: published.body, msgId: "1" })),
    });
    expect(push.statusCode, push.body).toBe(200);
    expect(JSON.parse(push.body).deliveries).toEqual([expect.objectContaining({ jobId, type: "JOB_SUCCEED", outcome: "delivered", attempts: 1, status: 200 })]);

    const got = await receiver.next((r) => r.body.includes(jobId));
    expect(got.method).toBe("POST");
    expect(got.path).toBe("/hooks/render?tenant=t1");
    expect(got.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(got.body)).toEqual({
      type: "JOB_SUCCEED",
      jobId,
      jobName: "TestJob",
      state: "SUCCEED",
      stateReason: null,
      submitter: "render-app",
      tasks: { total: 1, byState: { SUCCEED: 1 } },
      occurredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/),
      link: `https://jobs.example.com/jobs/${jobId}`,
    });

    const secret = await call("GET", "/webhooks/secret");
    expect(secret.status).toBe(200);
    expect(secret.headers["cache-control"]).toBe("no-store");
    expect(secret.json).toMatchObject({ KeyName: "render-app", Secrets: [expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/)] });
    const [appSecret] = secret.json.Secrets as string[];
    expect(verifyStandardWebhook(appSecret!, got.headers, got.body)).toEqual({ ok: true, matched: 1, of: 1 });
    // Another key's secret does not verify it; neither does a changed body.
    expect(verifyStandardWebhook(appSecret!, got.headers, got.body.replace("SUCCEED", "FAILED")).ok).toBe(false);
    // No log line carries the secret, a signature or the URL's path and query.
    const lines = logger.lines.map((l) => JSON.stringify(l)).join("\n");
    expect(lines).toContain("webhook delivered");
    for (const s of [appSecret!, got.headers["webhook-signature"]!.split(",")[1]!, "/hooks/render", "tenant=t1", TOKEN]) expect(lines).not.toContain(s);
  }, 30_000);
});
