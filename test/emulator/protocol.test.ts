import { Client as BatchClient } from "tencentcloud-sdk-nodejs/tencentcloud/services/batch/v20170312/batch_client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signTc3 } from "../../local/emulator/tc3";
import { signedCall } from "../support/api-clients";
import { startTestEmulator, TEST_SECRET_ID, TEST_SECRET_KEY, type TestEmulator } from "../support/emulator";

let t: TestEmulator;
beforeAll(async () => {
  t = await startTestEmulator();
});
afterAll(() => t.stop());

const clientWith = (secretId: string, secretKey: string) =>
  new BatchClient({
    credential: { secretId, secretKey },
    region: "ap-guangzhou",
    profile: { httpProfile: { endpoint: `127.0.0.1:${t.emu.port}`, protocol: "http://" } },
  });

describe("emulator protocol through the real SDK", () => {
  it("answers a signed request inside Response with a RequestId", async () => {
    const r = await t.sdk.DescribeComputeEnvs({});
    expect(r.TotalCount).toBe(0);
    expect(r.RequestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("rejects a wrong SecretKey with AuthFailure.SignatureFailure and keeps the RequestId", async () => {
    const err = await clientWith(TEST_SECRET_ID, "wrong-key").DescribeComputeEnvs({}).catch((e) => e);
    expect(err.code).toBe("AuthFailure.SignatureFailure");
    expect(err.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("rejects an unknown SecretId with AuthFailure.SecretIdNotFound", async () => {
    const err = await clientWith("AKIDnobody", TEST_SECRET_KEY).DescribeComputeEnvs({}).catch((e) => e);
    expect(err.code).toBe("AuthFailure.SecretIdNotFound");
  });

  it("rejects a stale timestamp with AuthFailure.SignatureExpire", async () => {
    const body = "{}";
    const ts = Math.floor(Date.now() / 1000) - 600;
    const res = await fetch(t.emu.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-tc-action": "DescribeComputeEnvs",
        "x-tc-version": "2017-03-12",
        "x-tc-region": "ap-guangzhou",
        "x-tc-timestamp": String(ts),
        authorization: signTc3({ secretId: TEST_SECRET_ID, secretKey: TEST_SECRET_KEY, host: "127.0.0.1", body, timestamp: ts }),
      },
      body,
    });
    const json = (await res.json()) as { Response: { Error: { Code: string } } };
    expect(json.Response.Error.Code).toBe("AuthFailure.SignatureExpire");
  });

  /** A raw DescribeComputeEnvs call, signed by signTc3 with `sign` options; answers the error code, if any. */
  async function rawCall(sign: Partial<Parameters<typeof signTc3>[0]>, timestamp?: string): Promise<string | undefined> {
    return (await signedCall(t, { action: "DescribeComputeEnvs", version: "2017-03-12", sign, ...(timestamp === undefined ? {} : { timestamp }) })).Error?.Code;
  }

  it("accepts the service batch or the Host's first label (the SDK's 127 for an IP endpoint), nothing else", async () => {
    expect(await rawCall({ service: "batch" })).toBeUndefined();
    expect(await rawCall({ service: "127" })).toBeUndefined();
    expect(await rawCall({ service: "cvm" })).toBe("AuthFailure.SignatureFailure");
  });

  it("accepts the real SDK pointed at localhost:<port> (its service is then \"localhost:<port>\", port included)", async () => {
    const sdk = new BatchClient({
      credential: { secretId: TEST_SECRET_ID, secretKey: TEST_SECRET_KEY },
      region: "ap-guangzhou",
      profile: { httpProfile: { endpoint: `localhost:${t.emu.port}`, protocol: "http://" } },
    });
    expect((await sdk.DescribeComputeEnvs({})).TotalCount).toBeGreaterThanOrEqual(0);
  });

  it("refuses SignedHeaders without content-type or host (AuthFailure.SignatureFailure)", async () => {
    expect(await rawCall({ signedHeaders: ["host"] })).toBe("AuthFailure.SignatureFailure");
    expect(await rawCall({ signedHeaders: ["content-type"] })).toBe("AuthFailure.SignatureFailure");
  });

  it.each(["", "1.7e9", "0x10", " "])("answers MissingParameter for X-TC-Timestamp %j", async (ts) => {
    expect(await rawCall({}, ts)).toBe("MissingParameter");
  });

  it("answers an unknown action with InvalidAction", async () => {
    const err = (await t.port.call("NoSuchAction", {}).catch((e: unknown) => e)) as { code: string };
    expect(err.code).toBe("batch.unknown_action");
    const raw = await (t.sdk as unknown as { request(a: string, r: unknown): Promise<unknown> }).request("FlyToTheMoon", {}).catch((e: { code: string }) => e);
    expect((raw as { code: string }).code).toBe("InvalidAction");
  });

  it("injects faults per action and counts calls", async () => {
    await fetch(`${t.emu.url}/_emulator/faults`, {
      method: "POST",
      body: JSON.stringify({ action: "DescribeComputeEnvs", code: "RequestLimitExceeded", count: 2 }),
    });
    await fetch(`${t.emu.url}/_emulator/counters`, { method: "DELETE" });
    // The adapter retries throttling: two injected failures, then success.
    const page = await t.port.listEnvs({});
    expect(page.total).toBe(0);
    const counters = (await (await fetch(`${t.emu.url}/_emulator/counters`)).json()) as Record<string, number>;
    expect(counters.DescribeComputeEnvs).toBe(3);
  });
});
