// job-notify's deliveries over real HTTP to a receiver on 127.0.0.1 (the local stack's rule lets
// plain http reach loopback): signed per Standard Webhooks, retried on 5xx, 429 and no answer
// (Retry-After honoured), never on other 4xx, refused before any request when the host resolves
// to an address that is not public, and a dead letter with the reason when nothing worked.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fromEnv, makeHandler as makeEntryHandler } from "../../functions/job-notify/entry";
import { type Answer, startWebhookReceiver, type WebhookReceiver, verifyStandardWebhook } from "../../local/webhook-receiver";
import { AppError } from "../../shared/errors";
import { memoryLogger } from "../../shared/log";
import { signingKeysFor, webhookSecretsFor } from "../../shared/webhooks/secrets";
import { verifyWebhook } from "../../shared/webhooks/signature";
import { eventMessage, fakeClock, harness, JOB_ID, jobDetail, MASTER, notifyTags, OLD_MASTER, pushOf } from "./support";

/** An event 7 h before the fake clock: past the 6 h redelivery window, so a failure is final. */
const OLD_EVENT_TIME = "2026-11-29T18:02:05Z";

let receiver: WebhookReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});
const start = async (answer?: (n: number) => Answer) => {
  receiver = await startWebhookReceiver(answer ? (_r, n) => answer(n) : undefined);
  return receiver;
};
const secondsOf = (ms: number) => Math.floor(ms / 1000);

describe("a delivery", () => {
  it("is signed so that the app's secret verifies it (the spec's check and an app's own code agree)", async () => {
    const r = await start();
    const clock = fakeClock();
    const h = harness(jobDetail(notifyTags(`${r.url}/hook`)), clock);
    const out = await h.handle(pushOf(eventMessage()));
    expect(out.deliveries).toEqual([{ webhookId: expect.stringMatching(/^msg_[0-9a-f]{32}$/), jobId: JOB_ID, type: "JOB_SUCCEED", outcome: "delivered", attempts: 1, status: 200 }]);
    const got = r.received[0]!;
    expect(got.headers["webhook-id"]).toBe(out.deliveries[0]!.webhookId);
    expect(got.headers["webhook-timestamp"]).toBe(String(secondsOf(clock.now())));
    const [secret] = webhookSecretsFor([MASTER], "render-app");
    expect(verifyStandardWebhook(secret!, got.headers, got.body, secondsOf(clock.now()))).toEqual({ ok: true, matched: 1, of: 1 });
    expect(verifyWebhook(signingKeysFor([MASTER], "render-app"), got.headers, got.body, secondsOf(clock.now()))).toEqual({ ok: true });
    // Another app's secret does not verify it, nor does a replay five minutes later.
    expect(verifyStandardWebhook(webhookSecretsFor([MASTER], "other-app")[0]!, got.headers, got.body, secondsOf(clock.now())).ok).toBe(false);
    expect(verifyStandardWebhook(secret!, got.headers, got.body, secondsOf(clock.now()) + 301)).toEqual({ ok: false, reason: "timestamp more than 5 minutes off" });
  });

  it("during a rotation carries one signature per master, each verifiable with the app's old or new secret", async () => {
    const r = await start();
    const clock = fakeClock();
    const h = harness(jobDetail(notifyTags(`${r.url}/hook`)), { ...clock, masters: [MASTER, OLD_MASTER] });
    await h.handle(pushOf(eventMessage()));
    const got = r.received[0]!;
    expect(got.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    const [fresh, old] = webhookSecretsFor([MASTER, OLD_MASTER], "render-app");
    expect(verifyStandardWebhook(fresh!, got.headers, got.body, secondsOf(clock.now()))).toEqual({ ok: true, matched: 1, of: 2 });
    expect(verifyStandardWebhook(old!, got.headers, got.body, secondsOf(clock.now()))).toEqual({ ok: true, matched: 2, of: 2 });
  });

  it("is retried on 503 and 429, waiting at least the Retry-After, with the same webhook-id and a fresh timestamp", async () => {
    const r = await start((n) => (n === 1 ? { status: 503 } : n === 2 ? { status: 429, headers: { "retry-after": "3" } } : { status: 204 }));
    const clock = fakeClock();
    const h = harness(jobDetail(notifyTags(`${r.url}/hook`)), clock);
    const out = await h.handle(pushOf(eventMessage()));
    expect(out.deliveries[0]).toMatchObject({ outcome: "delivered", attempts: 3, status: 204 });
    expect(clock.sleeps[1]).toBeGreaterThanOrEqual(3000);
    expect(new Set(r.received.map((x) => x.headers["webhook-id"])).size).toBe(1);
    const stamps = r.received.map((x) => Number(x.headers["webhook-timestamp"]));
    expect(stamps[2]! - stamps[0]!).toBeGreaterThanOrEqual(3);
    expect(new Set(r.received.map((x) => x.body)).size).toBe(1);
  });

  it.each([400, 401, 404, 410, 422])("is not retried when the receiver answers %i: a dead letter naming the status", async (status) => {
    const r = await start(() => ({ status }));
    const h = harness(jobDetail(notifyTags(`${r.url}/hook`)), fakeClock());
    const out = await h.handle(pushOf(eventMessage()));
    expect(r.received).toHaveLength(1);
    expect(out.deliveries[0]).toMatchObject({ outcome: "dead_letter", attempts: 1, status });
    expect(h.deadLetters[0]).toMatchObject({ function: "job-notify", source: "webhook", reason: expect.stringContaining(`answered ${status}: not retried`), attempts: 1 });
  });

  it("follows no redirect", async () => {
    const r = await start(() => ({ status: 302, headers: { location: "http://169.254.0.23/latest/meta-data/" } }));
    const h = harness(jobDetail(notifyTags(`${r.url}/hook`)), fakeClock());
    const out = await h.handle(pushOf(eventMessage()));
    expect(r.received).toHaveLength(1);
    expect(out.deliveries[0]).toMatchObject({ outcome: "dead_letter", status: 302 });
  });

  it("reaches a receiver that was down for a while once it is back (the same webhook-id on every attempt)", async () => {
    const r = await start();
    await r.pause();
    // The receiver comes back while the delivery waits before its third attempt.
    const clock = fakeClock(undefined, async (_ms, n) => {
      if (n === 2) await r.reopen();
    });
    const h = harness(jobDetail(notifyTags(`${r.url}/hook`)), clock);
    const out = await h.handle(pushOf(eventMessage()));
    expect(out.deliveries[0]).toMatchObject({ outcome: "delivered", attempts: 3 });
    expect(r.received).toHaveLength(1);
    expect(h.deadLetters).toEqual([]);
  });

  it("leaves a young event whose receiver is down for now to the topic's next push (503, no dead letter), delivered with the same webhook-id once it is back", async () => {
    let down = true;
    const r = await start(() => (down ? { status: 503 } : { status: 204 }));
    const h = harness(jobDetail(notifyTags(`${r.url}/hook`)), fakeClock());
    const failed = await h.handle(pushOf(eventMessage())).then(
      () => undefined,
      (e: unknown) => e as { status?: number; code?: string },
    );
    expect(failed).toMatchObject({ status: 503, code: "receiver_unavailable" });
    expect(h.deadLetters).toEqual([]);
    expect(h.logger.lines.map((l) => l.msg)).toContain("webhook not delivered yet: the topic will push the event again");
    const firstId = r.received[0]!.headers["webhook-id"];
    down = false;
    const out = await h.handle(pushOf(eventMessage()));
    expect(out.deliveries[0]).toMatchObject({ outcome: "delivered" });
    expect(r.received.at(-1)!.headers["webhook-id"]).toBe(firstId);
  });

  it("is a dead letter after the last attempt once the event is older than the redelivery window, with the reason and never the secret, the signature or the URL's path", async () => {
    const r = await start(() => ({ status: 500 }));
    const h = harness(jobDetail(notifyTags(`${r.url}/hook/s3cr3t-path?token=abc`)), { ...fakeClock(), budgetMs: 600_000 });
    const out = await h.handle(pushOf(eventMessage("JOB_SUCCEED", {}, OLD_EVENT_TIME)));
    expect(r.received).toHaveLength(5);
    expect(out.deliveries[0]).toMatchObject({ outcome: "dead_letter", attempts: 5, status: 500 });
    expect(h.deadLetters).toEqual([
      expect.objectContaining({ reason: "answered 500; 5 attempts made", attempts: 5, what: expect.stringContaining(`${r.url}/…`), event: expect.objectContaining({ jobId: JOB_ID, destination: `${r.url}/…` }) }),
    ]);
    const logged = JSON.stringify(h.logger.lines) + JSON.stringify(h.deadLetters);
    expect(logged).toContain("dead letter: webhook not delivered");
    for (const s of ["s3cr3t-path", "token=abc", MASTER, ...webhookSecretsFor([MASTER], "render-app"), r.received[0]!.headers["webhook-signature"]!.slice(3)]) expect(logged).not.toContain(s);
  });

  it("stops retrying where the next attempt would pass the push's budget (a long Retry-After)", async () => {
    const r = await start(() => ({ status: 503, headers: { "retry-after": "120" } }));
    const h = harness(jobDetail(notifyTags(`${r.url}/hook`)), fakeClock());
    const out = await h.handle(pushOf(eventMessage("JOB_SUCCEED", {}, OLD_EVENT_TIME)));
    expect(r.received).toHaveLength(1);
    expect(h.deadLetters[0]!.reason).toMatch(/answered 503; the next attempt \(in 120 s\) would pass the \d+ s deadline/);
    expect(out.deliveries[0]).toMatchObject({ outcome: "dead_letter", attempts: 1 });
  });
});

describe("the outbound guard at delivery", () => {
  it.each([
    ["a private address", [{ address: "10.0.0.7", family: 4 }]],
    ["Tencent's metadata service", [{ address: "169.254.0.23", family: 4 }]],
    ["a public and a private address", [{ address: "93.184.216.34", family: 4 }, { address: "192.168.1.5", family: 4 }]],
    ["an IPv4-mapped private IPv6 address", [{ address: "::ffff:10.1.2.3", family: 6 }]],
  ])("refuses a host that resolves to %s, before any request: a dead letter", async (_n, addresses) => {
    const posts: unknown[] = [];
    const h = harness(jobDetail(notifyTags("https://hooks.example.com/batch")), {
      destination: {},
      lookup: async () => addresses,
      post: async (...a) => {
        posts.push(a);
        return { status: 200 };
      },
    });
    const out = await h.handle(pushOf(eventMessage()));
    expect(posts).toEqual([]);
    expect(out.deliveries[0]).toMatchObject({ outcome: "dead_letter", attempts: 0 });
    expect(h.deadLetters[0]!.reason).toMatch(/^refused: host hooks\.example\.com resolves to .+, which is not a public address$/);
  });

  it("connects to the address it checked, not to a second lookup (the host name still goes in Host)", async () => {
    const r = await start();
    let lookups = 0;
    // `localhost` resolves (once) to 127.0.0.1: the receiver sees Host: localhost:<port>.
    const h = harness(jobDetail(notifyTags(`http://localhost:${r.port}/hook`)), {
      lookup: async () => {
        lookups++;
        return [{ address: "127.0.0.1", family: 4 }];
      },
    });
    await h.handle(pushOf(eventMessage()));
    expect(lookups).toBe(1);
    expect(r.received[0]!.headers.host).toBe(`localhost:${r.port}`);
  });
});

describe("the push", () => {
  it("skips events nothing was asked for, reads nothing for events that are not job events", async () => {
    const h = harness(jobDetail({ submitter: "a" }), fakeClock());
    const out = await h.handle(pushOf(eventMessage("COMPUTE_NODE_ABNORMAL")));
    expect(h.reads).toEqual([]);
    expect(out.skipped).toEqual({ "COMPUTE_NODE_ABNORMAL is not a job event": 1 });
    const out2 = await h.handle(pushOf(eventMessage()));
    expect(out2).toMatchObject({ deliveries: [], skipped: { "the job asked for no notifications": 1 } });
  });

  const entryHandler = (getJob: () => Promise<ReturnType<typeof jobDetail>>, file: string) => {
    const deps = fromEnv(
      { TENCENTCLOUD_REGION: "ap-guangzhou", TENCENTCLOUD_SECRETID: "id", TENCENTCLOUD_SECRETKEY: "key", CMQ_PUSH_TOKEN: "tok-0123456789", WEBHOOK_SIGNING_KEYS: MASTER, WEBHOOK_ALLOW_LOOPBACK_HTTP: "true", LOCAL_DEAD_LETTER_FILE: file },
      memoryLogger(),
    );
    const handler = makeEntryHandler({ ...deps, regions: { names: ["ap-guangzhou"], port: () => ({ getJob }) } });
    return (path: string) => handler({ httpMethod: "POST", path, headers: { "content-type": "text/plain" }, body: JSON.stringify({ msgId: "7", msgBody: eventMessage() }), queryString: {} });
  };

  it("through the function's entry: 403 without the push token; 200 once the outcome is final; locally, dead letters land in the stack's dead-letter file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "job-notify-"));
    try {
      const r = await start(() => ({ status: 404 }));
      const file = join(dir, "dead-letter.jsonl");
      const push = entryHandler(async () => jobDetail(notifyTags(`${r.url}/hook`)), file);
      expect((await push("/cmq/wrong-token-000")).statusCode).toBe(403);
      expect(r.received).toEqual([]);
      const ok = await push("/cmq/tok-0123456789");
      expect(ok.statusCode).toBe(200);
      const lines = readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines).toEqual([
        expect.objectContaining({ function: "job-notify", source: "webhook", reason: expect.stringContaining("answered 404"), attempts: 1, errors: [expect.stringContaining("answered 404")] }),
      ]);
      expect(Object.keys(lines[0]!)).toEqual(expect.arrayContaining(["time", "function", "source", "what", "reason", "attempts", "errors", "event"]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("answers 503 with Retry-After when Batch cannot be read (the topic pushes again), delivering nothing", async () => {
    const r = await start();
    const push = entryHandler(async () => {
      throw new AppError("batch_throttled", "Batch throttled DescribeJob", { status: 503, expose: true });
    }, join(tmpdir(), "unused-dead-letter.jsonl"));
    const res = await push("/cmq/tok-0123456789");
    expect(res.statusCode).toBe(503);
    expect(res.headers["retry-after"]).toBe("10");
    expect(r.received).toEqual([]);
  });
});

describe("several regions (BATCH_REGIONS)", () => {
  it("reads the job in its event's region when that region is served, and ignores an event from a region that is not", async () => {
    const r = await start();
    const shanghai = eventMessage().replace('"ap-guangzhou"', '"ap-shanghai"');
    const both = harness(jobDetail(notifyTags(`${r.url}/hook`)), { regions: ["ap-guangzhou", "ap-shanghai"] });
    const out = await both.handle(pushOf(shanghai));
    expect(both.regionsRead).toEqual(["ap-shanghai"]);
    expect(out.deliveries[0]).toMatchObject({ outcome: "delivered" });
    const one = harness(jobDetail(notifyTags(`${r.url}/hook`)));
    const ignored = await one.handle(pushOf(shanghai));
    expect(one.regionsRead).toEqual([]);
    expect(ignored.deliveries).toEqual([]);
    expect(Object.keys(ignored.skipped)[0]).toMatch(/from region ap-shanghai \(this function serves ap-guangzhou\)/);
  });
});
