// Per-key webhook secrets derived from WEBHOOK_SIGNING_KEYS (rotation: newest master first), and
// GET /webhooks/secret on the jobs function: the caller's own secrets only, any jobs scope, no-store.
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fromEnv, makeHandler } from "../../functions/jobs/entry";
import { parseApiKeys } from "../../shared/http";
import { memoryLogger } from "../../shared/log";
import { signingKeysFor, signingKeysFromEnv, webhookSecretsFor } from "../../shared/webhooks/secrets";
import { secretKey, signWebhook, verifyWebhook } from "../../shared/webhooks/signature";
import { fakeBatch } from "../jobs/fake-batch";
import { MASTER, OLD_MASTER } from "./support";

describe("derived secrets", () => {
  it("are whsec_ + base64 of HMAC-SHA256(master, 'batch-scf webhook v1:' + key name): 32 bytes, the same on every call", () => {
    const [s] = webhookSecretsFor([MASTER], "render-app");
    const expected = createHmac("sha256", MASTER).update("batch-scf webhook v1:render-app").digest("base64");
    expect(s).toBe(`whsec_${expected}`);
    expect(secretKey(s!)).toHaveLength(32); // within the specification's 24-64 bytes
    expect(webhookSecretsFor([MASTER], "render-app")).toEqual([s]);
    expect(signingKeysFor([MASTER], "render-app")[0]!.equals(secretKey(s!)!)).toBe(true);
  });

  it("differ per key name and per master", () => {
    const all = [...webhookSecretsFor([MASTER, OLD_MASTER], "a"), ...webhookSecretsFor([MASTER, OLD_MASTER], "b")];
    expect(new Set(all).size).toBe(4);
  });

  it("rotate: two masters sign twice, and each secret verifies on its own", () => {
    const m = { id: "msg_1", timestamp: 1_800_000_000, body: '{"type":"JOB_SUCCEED"}' };
    const header = signWebhook(signingKeysFor([MASTER, OLD_MASTER], "app"), m);
    expect(header.split(" ")).toHaveLength(2);
    const headers = { "webhook-id": m.id, "webhook-timestamp": String(m.timestamp), "webhook-signature": header };
    for (const s of webhookSecretsFor([MASTER, OLD_MASTER], "app")) expect(verifyWebhook([secretKey(s)!], headers, m.body, m.timestamp)).toEqual({ ok: true });
    expect(verifyWebhook([secretKey(webhookSecretsFor([MASTER], "other")[0]!)!], headers, m.body, m.timestamp)).toEqual({ ok: false, reason: "no_matching_signature" });
  });

  it("come from WEBHOOK_SIGNING_KEYS, newest first; a bad entry stops the function naming it, never its value", () => {
    expect(signingKeysFromEnv({})).toEqual([]);
    expect(signingKeysFromEnv({ WEBHOOK_SIGNING_KEYS: ` ${MASTER} , ${OLD_MASTER} ` })).toEqual([MASTER, OLD_MASTER]);
    const short = "tooshort-secret-value";
    expect(() => signingKeysFromEnv({ WEBHOOK_SIGNING_KEYS: `${MASTER},${short}` })).toThrow(/WEBHOOK_SIGNING_KEYS: entry 2 must be 32-256/);
    try {
      signingKeysFromEnv({ WEBHOOK_SIGNING_KEYS: `${MASTER},${short}` });
    } catch (e) {
      expect(String((e as Error).message)).not.toContain(short);
    }
    expect(() => signingKeysFromEnv({ WEBHOOK_SIGNING_KEYS: `${MASTER},${MASTER}` })).toThrow(/repeated/);
    expect(() => signingKeysFromEnv({ WEBHOOK_SIGNING_KEYS: ["a", "b", "c", "d"].map((c) => c.repeat(32)).join(",") })).toThrow(/at most 3/);
  });
});

describe("GET /webhooks/secret", () => {
  const APP = "app-key-0123456789abcdef";
  const WRITER = "writer-key-0123456789abcd";
  const ENVS_ONLY = "envs-key-0123456789abcdef";
  const setup = (masters: string[] = [MASTER, OLD_MASTER]) => {
    const logger = memoryLogger({ function: "jobs" });
    const handler = makeHandler({
      batch: fakeBatch().port,
      region: "ap-guangzhou",
      keys: parseApiKeys(`render-app:${APP}:jobs:read,writer:${WRITER}:jobs:write,ops:${ENVS_ONLY}:envs:read`),
      logger,
      signingKeys: masters,
    });
    const get = async (key?: string) => {
      const r = await handler({ httpMethod: "GET", path: "/webhooks/secret", headers: key ? { authorization: `Bearer ${key}` } : {}, body: "", queryString: {} });
      return { status: r.statusCode, headers: r.headers, json: JSON.parse(r.body) as Record<string, unknown> };
    };
    return { get, logger };
  };

  it("answers the caller's own secrets, newest first, not to be stored by caches, and never logs them", async () => {
    const { get, logger } = setup();
    const r = await get(APP);
    expect(r.status).toBe(200);
    expect(r.headers["cache-control"]).toBe("no-store");
    expect(r.json).toEqual({ KeyName: "render-app", Secrets: webhookSecretsFor([MASTER, OLD_MASTER], "render-app"), Scheme: expect.stringContaining("HMAC-SHA256") });
    const w = await get(WRITER);
    expect(w.json).toMatchObject({ KeyName: "writer", Secrets: webhookSecretsFor([MASTER, OLD_MASTER], "writer") });
    const logged = JSON.stringify(logger.lines);
    for (const s of [...(r.json.Secrets as string[]), ...(w.json.Secrets as string[]), MASTER]) expect(logged).not.toContain(s);
  });

  it("is refused without a valid key (401) and to a key with no jobs scope (403)", async () => {
    const { get } = setup();
    expect((await get()).status).toBe(401);
    expect((await get("not-a-key-0123456789abc")).status).toBe(401);
    const r = await get(ENVS_ONLY);
    expect(r.status).toBe(403);
    expect(JSON.stringify(r.json)).not.toContain("whsec_");
  });

  it("is 404 webhooks_not_configured without WEBHOOK_SIGNING_KEYS, and Notify is then refused at submit", async () => {
    const { get } = setup([]);
    expect((await get(APP)).json).toMatchObject({ status: 404, code: "webhooks_not_configured" });
    const deps = fromEnv({ TENCENTCLOUD_REGION: "ap-guangzhou", API_KEYS: `a:${APP}`, JOB_EVENTS_TOPIC: "batch-job-events" }, memoryLogger());
    expect(deps.webhooks?.topic).toBeUndefined();
    expect(fromEnv({ TENCENTCLOUD_REGION: "ap-guangzhou", API_KEYS: `a:${APP}`, JOB_EVENTS_TOPIC: "batch-job-events", WEBHOOK_SIGNING_KEYS: MASTER }, memoryLogger()).webhooks?.topic).toBe("batch-job-events");
  });
});
