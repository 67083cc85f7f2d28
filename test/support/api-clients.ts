// Real SDK clients for SCF and TDMQ against a test emulator, built as a deploy tool builds them
// (deep imports, never the package root), a raw signed call for protocol tests, and small
// helpers the emulator's tests share.
import { signTc3 } from "../../local/emulator/tc3";
import { Client as ScfClient } from "tencentcloud-sdk-nodejs/tencentcloud/services/scf/v20180416/scf_client";
import { Client as TdmqClient } from "tencentcloud-sdk-nodejs/tencentcloud/services/tdmq/v20200217/tdmq_client";
import { TEST_SECRET_ID, TEST_SECRET_KEY, type TestEmulator } from "./emulator";

const clientConfig = (t: TestEmulator, region: string) => ({
  credential: { secretId: TEST_SECRET_ID, secretKey: TEST_SECRET_KEY },
  region,
  profile: { httpProfile: { endpoint: `127.0.0.1:${t.emu.port}`, protocol: "http://", reqTimeout: 120 } },
});

export const scfClient = (t: TestEmulator, region = "ap-guangzhou") => new ScfClient(clientConfig(t, region));
export const tdmqClient = (t: TestEmulator, region = "ap-guangzhou") => new TdmqClient(clientConfig(t, region));

/** "Code: Message" of a rejected SDK call, or "no error". */
export const errorOf = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => "no error",
    (e: { code?: string; message?: string }) => `${e.code}: ${e.message}`,
  );

/** Calls a /_emulator/ test route; answers its status and JSON. */
export async function emulatorRoute<T = unknown>(t: TestEmulator, method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const res = await fetch(`${t.emu.url}/_emulator${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as T };
}

/**
 * A raw API call signed by signTc3 (service, host, … overridable through `sign`), for what the
 * SDK cannot be made to send. `timestamp` overrides the X-TC-Timestamp header only.
 */
export async function signedCall(
  t: TestEmulator,
  call: { action: string; version: string; body?: string; sign?: Partial<Parameters<typeof signTc3>[0]>; timestamp?: string },
): Promise<{ Error?: { Code: string; Message: string } } & Record<string, unknown>> {
  const body = call.body ?? "{}";
  const ts = Math.floor(Date.now() / 1000);
  const res = await fetch(t.emu.url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-tc-action": call.action,
      "x-tc-version": call.version,
      "x-tc-region": "ap-guangzhou",
      "x-tc-timestamp": call.timestamp ?? String(ts),
      authorization: signTc3({ secretId: TEST_SECRET_ID, secretKey: TEST_SECRET_KEY, host: "127.0.0.1", body, timestamp: ts, ...call.sign }),
    },
    body,
  });
  return ((await res.json()) as { Response: { Error?: { Code: string; Message: string } } & Record<string, unknown> }).Response;
}
