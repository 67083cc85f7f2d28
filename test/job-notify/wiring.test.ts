// serverless.yml and the local stack wire job-notify to the topic the jobs function subscribes
// Notify jobs to, with what it needs: a push token, the signing keys, the local dead-letter file.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadServerlessConfig } from "../../local/stack/serverless-config";
import { functionEnv, LOCAL_DEFAULTS } from "../../local/stack/stack";
import { ROOT } from "../../scripts/bundle";
import { DEFAULT_BUDGET_MS } from "../../functions/job-notify/handler";

const ENV = { API_KEYS: "ci:0123456789abcdef0123:jobs:read", WEBHOOK_SIGNING_KEYS: "k".repeat(32) };
const load = (env: NodeJS.ProcessEnv = ENV) => {
  const c = loadServerlessConfig(join(ROOT, "serverless.yml"), env);
  const fn = (name: string) => c.functions.find((f) => f.name === name)!;
  return { jobs: fn("jobs"), notify: fn("job-notify") };
};

describe("job-notify's wiring", () => {
  it("listens on the topic jobs subscribes Notify jobs to, also when the operator names another", () => {
    for (const env of [ENV, { ...ENV, JOB_EVENTS_TOPIC: "render-job-events" }]) {
      const { jobs, notify } = load(env);
      expect(notify.triggers).toEqual([expect.objectContaining({ kind: "cmq", name: "job-events", topic: jobs.environment.JOB_EVENTS_TOPIC, enabled: true })]);
    }
    expect(load().jobs.environment.JOB_EVENTS_TOPIC).toBe("batch-job-events");
  });

  it("gets the same signing keys and destination rules as jobs, a URL for the pushes, and a timeout above its delivery budget", () => {
    const { jobs, notify } = load();
    for (const k of ["WEBHOOK_SIGNING_KEYS", "WEBHOOK_ALLOW_HOSTS", "WEBHOOK_ALLOW_LOOPBACK_HTTP"]) expect(notify.environment[k], k).toBe(jobs.environment[k]);
    expect(notify.environment.WEBHOOK_ALLOW_LOOPBACK_HTTP).toBe("false");
    expect(notify.environment.API_KEYS).toBeUndefined();
    expect(notify.url).toBe(true);
    expect(notify.timeout * 1000).toBeGreaterThan(DEFAULT_BUDGET_MS + 5000);
  });

  it("locally: plain http to loopback receivers, the stack's push token and dead-letter file", () => {
    const { notify } = load({ ...LOCAL_DEFAULTS, ...ENV });
    const env = functionEnv(notify, {
      region: "ap-guangzhou",
      emulatorUrl: "http://127.0.0.1:1",
      cred: { secretId: "id", secretKey: "key" },
      cosDir: "/tmp/cos",
      parent: {},
      cmqPushToken: "push-token",
      deadLetterFile: "/tmp/data/dead-letter.jsonl",
    });
    expect(env).toMatchObject({ WEBHOOK_ALLOW_LOOPBACK_HTTP: "true", CMQ_PUSH_TOKEN: "push-token", LOCAL_DEAD_LETTER_FILE: "/tmp/data/dead-letter.jsonl", WEBHOOK_SIGNING_KEYS: ENV.WEBHOOK_SIGNING_KEYS });
  });
});
