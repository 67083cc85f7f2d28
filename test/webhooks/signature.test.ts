import { describe, expect, it } from "vitest";
import { newWebhookSecret, secretKey, signWebhook, verifyWebhook, webhookHeaders, webhookIdFor } from "../../shared/webhooks/signature";

// The Standard Webhooks specification's published test vector (the same values its libraries' tests use).
const VECTOR = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
};
const key = secretKey(VECTOR.secret)!;
const msg = { id: VECTOR.id, timestamp: VECTOR.timestamp, body: VECTOR.body };

describe("Standard Webhooks signatures", () => {
  it("reproduces the specification's test vector, and verifies it", () => {
    expect(signWebhook([key], msg)).toBe(VECTOR.signature);
    const headers = webhookHeaders([key], msg);
    expect(headers).toEqual({ "webhook-id": VECTOR.id, "webhook-timestamp": "1614265330", "webhook-signature": VECTOR.signature });
    expect(verifyWebhook([key], headers, VECTOR.body, VECTOR.timestamp + 10)).toEqual({ ok: true });
  });

  it("refuses a changed body, id or timestamp, another key, and a timestamp out of tolerance", () => {
    const headers = webhookHeaders([key], msg);
    expect(verifyWebhook([key], headers, '{"test": 2432232315}', VECTOR.timestamp)).toEqual({ ok: false, reason: "no_matching_signature" });
    expect(verifyWebhook([key], { ...headers, "webhook-id": "msg_other" }, VECTOR.body, VECTOR.timestamp).ok).toBe(false);
    expect(verifyWebhook([key], { ...headers, "webhook-timestamp": "1614265331" }, VECTOR.body, VECTOR.timestamp).ok).toBe(false);
    expect(verifyWebhook([secretKey(newWebhookSecret())!], headers, VECTOR.body, VECTOR.timestamp).ok).toBe(false);
    expect(verifyWebhook([key], headers, VECTOR.body, VECTOR.timestamp + 301)).toEqual({ ok: false, reason: "timestamp_out_of_tolerance" });
    expect(verifyWebhook([key], { ...headers, "webhook-timestamp": "1e9" }, VECTOR.body, VECTOR.timestamp)).toEqual({ ok: false, reason: "bad_timestamp" });
    expect(verifyWebhook([key], { "webhook-id": VECTOR.id }, VECTOR.body, VECTOR.timestamp)).toEqual({ ok: false, reason: "missing_headers" });
  });

  it("during a rotation signs with both keys, and a receiver holding either verifies", () => {
    const next = secretKey(newWebhookSecret())!;
    const headers = webhookHeaders([key, next], msg);
    expect(headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(verifyWebhook([key], headers, VECTOR.body, VECTOR.timestamp).ok).toBe(true);
    expect(verifyWebhook([next], headers, VECTOR.body, VECTOR.timestamp).ok).toBe(true);
  });

  it("reads secrets with or without the whsec_ prefix, refuses ones that are not 24-64 bytes of base64", () => {
    expect(secretKey("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")).toEqual(key);
    expect(secretKey(newWebhookSecret())).toHaveLength(32);
    expect(secretKey("whsec_c2hvcnQ=")).toBeUndefined();
    expect(secretKey("whsec_not base64!")).toBeUndefined();
  });

  it("gives each (job, event) one stable webhook-id", () => {
    expect(webhookIdFor("job-abcdefgh", "JOB_SUCCEED")).toBe(webhookIdFor("job-abcdefgh", "JOB_SUCCEED"));
    expect(webhookIdFor("job-abcdefgh", "JOB_SUCCEED")).not.toBe(webhookIdFor("job-abcdefgh", "JOB_FAILED"));
    expect(webhookIdFor("job-abcdefgh", "JOB_SUCCEED")).toMatch(/^msg_[0-9a-f]{32}$/);
  });
});
