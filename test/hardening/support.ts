// Shared by the hardening suites: an emulator-backed Batch port without the client-side rate
// limiter (the suites measure the functions, not Tencent's per-API quotas), and emulator routes.
import { createTencentBatch } from "../../shared/batch/tencent-adapter";
import type { Logger } from "../../shared/log";
import { TEST_SECRET_ID, TEST_SECRET_KEY, type TestEmulator } from "../support/emulator";

export function fastPort(t: TestEmulator, opts: { logger?: Logger; maxAttempts?: number; token?: string; secretKey?: string } = {}) {
  return createTencentBatch({
    region: "ap-guangzhou",
    endpoint: t.emu.url,
    credentials: () => ({ secretId: TEST_SECRET_ID, secretKey: opts.secretKey ?? TEST_SECRET_KEY, ...(opts.token ? { token: opts.token } : {}) }),
    retry: { baseMs: 5, capMs: 40, maxAttempts: opts.maxAttempts ?? 5 },
    limiter: { take: async () => {} },
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
}

/** Calls a test route of the emulator (`/_emulator/...`), throwing on a refusal. */
export async function emulatorRoute<T = Record<string, unknown>>(t: TestEmulator, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${t.emu.url}/_emulator${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const json = (await res.json()) as T;
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}
