// POST /jobs with Notify (issue 16, the submit side): the job is subscribed to the job-events topic
// and carries its URL and events in tags; bad URLs and events are 400s naming the field.
import { describe, expect, it } from "vitest";
import { makeHandler } from "../../functions/jobs/entry";
import { parseApiKeys } from "../../shared/http";
import { memoryLogger } from "../../shared/log";
import { webhookConfigFromEnv } from "../../shared/webhooks/config";
import apigwDocumented from "../fixtures/apigw-documented.json";
import documentedExample from "../fixtures/submit-job-documented.json";
import { fakeBatch } from "./fake-batch";

const KEY = "writer-key-0123456789abcdef";
type Json = Record<string, unknown>;

function setup(env: NodeJS.ProcessEnv = { JOB_EVENTS_TOPIC: "batch-job-events" }) {
  const fake = fakeBatch();
  const handler = makeHandler({
    batch: fake.port,
    region: "ap-guangzhou",
    keys: parseApiKeys(`app:${KEY}:jobs:read|jobs:write`),
    logger: memoryLogger({ function: "jobs" }),
    webhooks: webhookConfigFromEnv(env),
  });
  const submit = async (extra: Json, query: Json = {}) => {
    const e = structuredClone(apigwDocumented) as Json & { headers: Record<string, string> };
    e.httpMethod = "POST";
    e.path = "/jobs";
    e.body = JSON.stringify({ ...documentedExample, ...extra });
    e.headers.Authorization = `Bearer ${KEY}`;
    e.queryString = query;
    const r = await handler(e);
    return { status: r.statusCode, json: JSON.parse(r.body) as Json };
  };
  const read = async (path: string) => {
    const e = structuredClone(apigwDocumented) as Json & { headers: Record<string, string> };
    e.httpMethod = "GET";
    e.path = path;
    e.body = "";
    e.headers.Authorization = `Bearer ${KEY}`;
    e.queryString = {};
    return JSON.parse((await handler(e)).body) as Json;
  };
  return { fake, submit, read };
}

describe("POST /jobs with Notify", () => {
  it("subscribes the job to the job-events topic for its terminal events and keeps the URL in its tags", async () => {
    const { fake, submit } = setup();
    const r = await submit({ Notify: { Url: "https://hooks.example.com/batch" } });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    const sent = fake.jobs.get(r.json.JobId as string)!.request;
    expect(sent.Job.Notifications).toEqual([
      { TopicName: "batch-job-events", EventConfigs: ["JOB_SUCCEED", "JOB_FAILED", "JOB_FAILED_INTERRUPTED"].map((EventName) => ({ EventName, EventVars: [] })) },
    ]);
    expect(sent.Job.Tags).toEqual(
      expect.arrayContaining([
        { Key: "batch-scf/notify-url", Value: "https://hooks.example.com/batch" },
        { Key: "batch-scf/notify-events", Value: "JOB_SUCCEED,JOB_FAILED,JOB_FAILED_INTERRUPTED" },
      ]),
    );
    expect("Notify" in (sent as unknown as Json)).toBe(false);
  });

  it("shows readers only the URL's origin (webhook URLs often carry their own credential)", async () => {
    const { submit, read } = setup();
    const r = await submit({ Notify: { Url: "https://hooks.example.com/services/T000/B000/s3cr3t?token=abc" } });
    const job = await read(`/jobs/${r.json.JobId}`);
    expect(job.Tags).toContainEqual({ Key: "batch-scf/notify-url", Value: "https://hooks.example.com/…" });
    expect(JSON.stringify(job)).not.toContain("s3cr3t");
    const list = await read("/jobs");
    expect(JSON.stringify(list)).not.toContain("s3cr3t");
  });

  it("takes events in either spelling, and a dry run shows what Batch would get", async () => {
    const { fake, submit } = setup();
    const r = await submit({ Notify: { Url: "https://hooks.example.com/b", Events: ["JobFailed", "TASK_FAILED"] } }, { dryRun: "true" });
    expect(r.status).toBe(200);
    const req = r.json.Request as { Job: { Notifications: Array<{ EventConfigs: Array<{ EventName: string }> }>; Tags: Json[] } };
    expect(req.Job.Notifications[0]!.EventConfigs.map((c) => c.EventName)).toEqual(["JOB_FAILED", "TASK_FAILED"]);
    expect(req.Job.Tags).toContainEqual({ Key: "batch-scf/notify-events", Value: "JOB_FAILED,TASK_FAILED" });
    expect(fake.jobs.size).toBe(0);
  });

  it("refuses URLs that are not https to a public host, unknown events, the reserved topic and too long a URL, each at its field", async () => {
    const { submit } = setup();
    const paths = async (extra: Json) => ((await submit(extra)).json.errors as Array<{ path: string; message: string }>).map((e) => e.path);
    expect(await paths({ Notify: { Url: "http://hooks.example.com/" } })).toEqual(["Notify.Url"]);
    expect(await paths({ Notify: { Url: "https://169.254.0.23/latest" } })).toEqual(["Notify.Url"]);
    expect(await paths({ Notify: { Url: "https://user:pw@hooks.example.com/" } })).toEqual(["Notify.Url"]);
    expect(await paths({ Notify: { Url: `https://hooks.example.com/${"x".repeat(250)}` } })).toEqual(["Notify.Url"]);
    expect(await paths({ Notify: { Url: "https://hooks.example.com/", Events: ["COMPUTE_NODE_ABNORMAL", "nope"] } })).toEqual(["Notify.Events[0]", "Notify.Events[1]"]);
    const job = structuredClone(documentedExample.Job) as Json;
    job.Notifications = [{ TopicName: "batch-job-events", EventConfigs: [{ EventName: "JOB_FAILED", EventVars: [] }] }];
    expect(await paths({ Job: job, Notify: { Url: "https://hooks.example.com/" } })).toEqual(["Job.Notifications[0].TopicName"]);
  });

  it("leaves room for its two tags", async () => {
    const { submit } = setup();
    const job = structuredClone(documentedExample.Job) as Json;
    job.Tags = Array.from({ length: 8 }, (_, i) => ({ Key: `k${i}`, Value: "v" }));
    const r = await submit({ Job: job, Notify: { Url: "https://hooks.example.com/" } });
    expect(r.status).toBe(400);
    expect(r.json.errors).toEqual([{ path: "Job.Tags", message: expect.stringMatching(/at most 7 tags of your own/) }]);
  });

  it("is refused, naming why, where the operator has not set JOB_EVENTS_TOPIC", async () => {
    const { submit } = setup({});
    const r = await submit({ Notify: { Url: "https://hooks.example.com/" } });
    expect(r.status).toBe(400);
    expect(r.json.errors).toEqual([{ path: "Notify", message: expect.stringMatching(/JOB_EVENTS_TOPIC/) }]);
  });

  it("stops the function at its first event on a bad JOB_EVENTS_TOPIC or WEBHOOK_ALLOW_HOSTS", () => {
    expect(() => webhookConfigFromEnv({ JOB_EVENTS_TOPIC: "1bad" })).toThrow(/JOB_EVENTS_TOPIC/);
    expect(() => webhookConfigFromEnv({ WEBHOOK_ALLOW_HOSTS: "ok.example.com, bad host" })).toThrow(/WEBHOOK_ALLOW_HOSTS: bad host/);
    expect(webhookConfigFromEnv({ WEBHOOK_ALLOW_HOSTS: "*.apps.example.com", WEBHOOK_ALLOW_LOOPBACK_HTTP: "true" }).destination).toEqual({
      allowHosts: ["*.apps.example.com"],
      allowLoopbackHttp: true,
    });
  });
});
