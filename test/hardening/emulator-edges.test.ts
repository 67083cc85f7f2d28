// The emulator at the edges of the protocol (issue 18): a region Batch does not serve, and a body
// over API 3.0's 10 MB, each answered with Tencent's error envelope, through the real SDK and raw HTTP.
import { request } from "node:http";
import { Client as BatchClient } from "tencentcloud-sdk-nodejs/tencentcloud/services/batch/v20170312/batch_client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_BODY_BYTES, SERVED_REGIONS } from "../../local/emulator/services";
import { signTc3 } from "../../local/emulator/tc3";
import { scfClient, tdmqClient } from "../support/api-clients";
import { startTestEmulator, TEST_SECRET_ID, TEST_SECRET_KEY, type TestEmulator } from "../support/emulator";

let t: TestEmulator;
beforeAll(async () => {
  t = await startTestEmulator({ exec: false });
});
afterAll(() => t?.stop());

const batchIn = (region: string) =>
  new BatchClient({
    credential: { secretId: TEST_SECRET_ID, secretKey: TEST_SECRET_KEY },
    region,
    profile: { httpProfile: { endpoint: `127.0.0.1:${t.emu.port}`, protocol: "http://", reqTimeout: 120 } },
  });

type SdkError = { code?: string; message?: string; requestId?: string };
const failure = (p: Promise<unknown>) => p.then(() => ({}) as SdkError, (e: SdkError) => e);

describe("X-TC-Region", () => {
  it("answers UnsupportedRegion, with a RequestId, for a region Batch does not serve (ap-mars), through the real SDK", async () => {
    const e = await failure(batchIn("ap-mars").DescribeJobs({}));
    expect(e.code).toBe("UnsupportedRegion");
    expect(e.message).toMatch(/ap-mars/);
    expect(e.requestId).toMatch(/^[0-9a-f-]{36}$/);
    // The same for the other APIs the emulator speaks.
    expect((await failure(scfClient(t, "ap-mars").ListFunctions({}))).code).toBe("UnsupportedRegion");
    expect((await failure(tdmqClient(t, "ap-mars").DescribeCmqTopicDetail({ TopicName: "batch-node-events" }))).code).toBe("UnsupportedRegion");
  });

  it("serves the regions it lists, and keeps each one's resources apart", async () => {
    expect(SERVED_REGIONS).toContain("ap-guangzhou");
    const shanghai = await batchIn("ap-shanghai").DescribeJobs({});
    expect(shanghai.TotalCount).toBe(0);
    expect((await batchIn("na-siliconvalley").DescribeComputeEnvs({})).TotalCount).toBe(0);
  });
});

/** A POST of `bytes` bytes, signed, with `Connection: close`, as clients that open one connection per call send it. */
function rawPost(bytes: number): Promise<{ status: number; body: string } | { error: string }> {
  const body = Buffer.alloc(bytes, 0x20); // spaces: the size is what counts
  const ts = Math.floor(Date.now() / 1000);
  return new Promise((resolve) => {
    const req = request(
      t.emu.url,
      {
        method: "POST",
        agent: false,
        headers: {
          connection: "close",
          "content-type": "application/json",
          "content-length": String(bytes),
          "x-tc-action": "DescribeJobs",
          "x-tc-version": "2017-03-12",
          "x-tc-region": "ap-guangzhou",
          "x-tc-timestamp": String(ts),
          authorization: signTc3({ secretId: TEST_SECRET_ID, secretKey: TEST_SECRET_KEY, host: "127.0.0.1", body: "", timestamp: ts }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", (e) => resolve({ error: String(e) }));
      },
    );
    req.on("error", (e) => resolve({ error: `${(e as NodeJS.ErrnoException).code ?? ""} ${e.message}` }));
    // Written in 1 MB pieces, each after the last drained, as a client streaming a file does.
    const piece = 1024 * 1024;
    let at = 0;
    const pump = () => {
      while (at < bytes) {
        const next = body.subarray(at, Math.min(at + piece, bytes));
        at += next.length;
        if (!req.write(next)) return void req.once("drain", pump);
      }
      req.end();
    };
    pump();
  });
}

describe("a request body over the 10 MB API 3.0 takes", () => {
  it("is answered RequestSizeLimitExceeded through the real SDK (20 MB), and the emulator serves the next call", async () => {
    const e = await failure(t.sdk.DescribeJobs({ Filters: [{ Name: "job-name", Values: ["x".repeat(20 * 1024 * 1024)] }] }));
    expect(e.code).toBe("RequestSizeLimitExceeded");
    expect(e.message).toContain(String(MAX_BODY_BYTES));
    expect(e.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await t.sdk.DescribeJobs({})).TotalCount).toBe(0);
  }, 60_000);

  it("is answered with the error envelope, not a dropped connection, to a client that sent Connection: close (20 MB, three times)", async () => {
    for (let i = 0; i < 3; i++) {
      const r = await rawPost(20 * 1024 * 1024);
      expect(r).toMatchObject({ status: 200 });
      const json = JSON.parse((r as { body: string }).body) as { Response: { Error: { Code: string; Message: string }; RequestId: string } };
      expect(json.Response.Error.Code).toBe("RequestSizeLimitExceeded");
      expect(json.Response.RequestId).toMatch(/^[0-9a-f-]{36}$/);
    }
  }, 60_000);
});
