// `npm start`'s wiring of job notifications: the stack (from serverless.yml, the built bundles, in a
// temporary root) runs job-notify, the emulator publishes a Notify job's events to the job-events
// topic, the topic bus pushes them to job-notify's URL, and the delivery reaches a receiver on
// 127.0.0.1, verifiable with the local key's secret; what cannot be delivered lands in the stack's
// dead-letter file.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../../local/stack/stack";
import { startWebhookReceiver, type WebhookReceiver, verifyStandardWebhook } from "../../local/webhook-receiver";
import { buildFunction, FUNCTIONS, ROOT } from "../../scripts/bundle";
import { eventually } from "../support/emulator";

const root = mkdtempSync(join(tmpdir(), "notify-stack-"));
const JOB = JSON.parse(readFileSync(join(ROOT, "test/fixtures/submit-job-documented.json"), "utf8")) as Record<string, unknown>;
let stack: Stack;
let receiver: WebhookReceiver;
const lines: string[] = [];

beforeAll(async () => {
  writeFileSync(join(root, "serverless.yml"), readFileSync(join(ROOT, "serverless.yml")));
  symlinkSync(join(ROOT, "node_modules"), join(root, "node_modules"));
  mkdirSync(join(root, "dist"));
  for (const name of FUNCTIONS) await buildFunction(name, join(root, "dist"));
  // First delivery: 503 with Retry-After; then 200. A job named "gone" gets 410 (final).
  receiver = await startWebhookReceiver((r, n) => (r.body.includes('"jobName":"gone"') ? { status: 410 } : n === 1 ? { status: 503, headers: { "retry-after": "1" } } : { status: 200 }));
  stack = await startStack({
    root,
    env: { ...process.env, LOCAL_DATA_DIR: join(root, "data"), BATCH_EMULATOR_PORT: "0", EMULATOR_EXEC: "off", API_KEYS: "", WEBHOOK_SIGNING_KEYS: "", LOCAL_RETRY_BASE_MS: "100" },
    port: 0,
    demoEnv: false,
    timers: false,
    print: (l) => lines.push(l),
  });
}, 120_000);
afterAll(async () => {
  await stack?.close();
  await receiver?.close();
  rmSync(root, { recursive: true, force: true });
});

const api = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${stack.functionUrls.jobs}${path}`, {
    method,
    headers: { authorization: `Bearer ${stack.localKey!.key}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};

describe("job notifications on the local stack", () => {
  it("runs job-notify on the job-events topic, with a generated signing key and plain http to loopback allowed", () => {
    expect(Object.keys(stack.functionUrls)).toContain("job-notify");
    expect(stack.bus.subscribers("batch-job-events")).toEqual(["job-notify"]);
    expect(readFileSync(join(root, "data", "webhook-signing-key"), "utf8").trim()).toMatch(/^[0-9a-f]{64}$/);
  });

  it("delivers a Notify job's end through the topic bus, retried after a 503, verifiable with the key's secret", async () => {
    const sub = await api("POST", "/jobs", { ...JOB, Notify: { Url: `${receiver.url}/hooks/local` } });
    expect(sub.status, JSON.stringify(sub.json)).toBe(201);
    const jobId = sub.json.JobId as string;
    await eventually(() => receiver.received.filter((r) => r.body.includes(jobId)).length >= 2, 20_000);
    const [first, second] = receiver.received.filter((r) => r.body.includes(jobId));
    expect(second!.headers["webhook-id"]).toBe(first!.headers["webhook-id"]);
    const secret = await api("GET", "/webhooks/secret");
    expect(secret.json.KeyName).toBe("local");
    expect(verifyStandardWebhook((secret.json.Secrets as string[])[0]!, second!.headers, second!.body)).toMatchObject({ ok: true });
    expect(JSON.parse(second!.body)).toMatchObject({ type: "JOB_SUCCEED", jobId, submitter: "local", link: `/jobs/${jobId}` });
    const runs = (await (await fetch(`${stack.localApiUrl}/_local/invocations?function=job-notify`)).json()) as Array<{ source: string; ok: boolean }>;
    expect(runs.some((r) => r.source === "cmq" && r.ok)).toBe(true);
  }, 30_000);

  it("appends what cannot be delivered to the stack's dead-letter file, the push itself acknowledged", async () => {
    const sub = await api("POST", "/jobs", { ...JOB, Job: { ...(JOB.Job as Record<string, unknown>), JobName: "gone" }, Notify: { Url: `${receiver.url}/hooks/gone` } });
    const jobId = sub.json.JobId as string;
    const file = join(root, "data", "dead-letter.jsonl");
    const entry = await eventually(() => existsSync(file) && readFileSync(file, "utf8").split("\n").find((l) => l.includes(jobId)), 20_000);
    expect(JSON.parse(entry)).toMatchObject({ function: "job-notify", source: "webhook", attempts: 1, reason: expect.stringContaining("answered 410"), event: { jobId, type: "JOB_SUCCEED" } });
    expect(entry).not.toContain("/hooks/gone");
    // No "dead-letter:" line of the bus: the push was answered 2xx.
    expect(lines.filter((l) => l.includes("dead-letter:") && l.includes("job-notify"))).toEqual([]);
  }, 30_000);

  it("npm run invoke's default event for a topic subscriber is the topic's HTTP push of a message of its kind", async () => {
    // job-notify: a job event (a made-up job, so nothing to deliver), pushed as the bus pushes it.
    const notify = await stack.invoke("job-notify");
    expect(notify.ok && notify.value).toMatchObject({ statusCode: 200 });
    expect(JSON.parse((notify.ok && (notify.value as { body: string }).body) || "{}")).toMatchObject({ events: 1, skipped: { "the job no longer exists": 1 } });
    // node-abnormal: a node event for an env that does not exist.
    const node = await stack.invoke("node-abnormal");
    expect(node.ok && node.value).toMatchObject({ statusCode: 200 });
    expect(JSON.parse((node.ok && (node.value as { body: string }).body) || "{}")).toMatchObject({ events: 1, envs: [{ env: "env-00000000", outcome: "env-gone" }] });
  }, 30_000);
});
