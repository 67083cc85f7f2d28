// Starts an emulator on a free port and a real SDK client (through the project's adapter) against it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client as BatchClient } from "tencentcloud-sdk-nodejs/tencentcloud/services/batch/v20170312/batch_client";
import type { EmulatorTimings } from "../../local/emulator/context";
import { type Emulator, startEmulator } from "../../local/emulator/server";
import { createTencentBatch } from "../../shared/batch/tencent-adapter";

export const TEST_SECRET_ID = "AKIDtestsecretid0000000000000000000";
export const TEST_SECRET_KEY = "testsecretkey0000000000000000000";

export interface TestEmulator {
  emu: Emulator;
  dataDir: string;
  /** The raw SDK batch client, exactly as an SCF function would build it. */
  sdk: InstanceType<typeof BatchClient>;
  /** The project's Batch port over the same SDK. */
  port: ReturnType<typeof createTencentBatch>;
  published: Array<{ topic: string; body: string }>;
  stop(): Promise<void>;
}

export const FAST_TIMINGS: Partial<EmulatorTimings> = {
  nodeSubmitMs: 20,
  nodeCreateMs: 60,
  nodeStartMs: 40,
  nodeDeleteMs: 40,
  anonymousNodeMs: 30,
  tickMs: 20,
};

export async function startTestEmulator(
  opts: { timings?: Partial<EmulatorTimings>; exec?: boolean; persist?: boolean; dataDir?: string; region?: string; now?: () => number } = {},
): Promise<TestEmulator> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "batch-emu-"));
  const published: TestEmulator["published"] = [];
  const emu = await startEmulator({
    dataDir,
    credentials: [{ secretId: TEST_SECRET_ID, secretKey: TEST_SECRET_KEY }],
    timings: { ...FAST_TIMINGS, ...opts.timings },
    exec: opts.exec ?? true,
    publish: (topic, body) => published.push({ topic, body }),
    ...(opts.now ? { now: opts.now } : {}),
  });
  const region = opts.region ?? "ap-guangzhou";
  const sdk = new BatchClient({
    credential: { secretId: TEST_SECRET_ID, secretKey: TEST_SECRET_KEY },
    region,
    profile: { httpProfile: { endpoint: `127.0.0.1:${emu.port}`, protocol: "http://" } },
  });
  const port = createTencentBatch({
    region,
    endpoint: emu.url,
    credentials: () => ({ secretId: TEST_SECRET_ID, secretKey: TEST_SECRET_KEY }),
    retry: { baseMs: 5, capMs: 20 },
    rates: {},
  });
  return {
    emu,
    dataDir,
    sdk,
    port,
    published,
    async stop() {
      await emu.close();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `fn` until it returns a truthy value or the deadline passes. */
export async function eventually<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000, stepMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/**
 * Moves an env's past `ms` back: its creation, its nodes' creation and its activities so far (the
 * emulator's state routes), as if all of it had happened that long ago.
 */
export async function ageEnv(t: TestEmulator, envId: string, ms: number): Promise<void> {
  type State = {
    envs: Array<{ id: string; createdAt: number; nodes: Array<{ createdAt: number }> }>;
    activities: Array<{ EnvId: string; StartTime: string; EndTime: string | null }>;
  };
  const state = (await (await fetch(`${t.emu.url}/_emulator/state`)).json()) as State;
  const env = state.envs.find((e) => e.id === envId);
  if (!env) throw new Error(`no env ${envId} in the emulator's state`);
  const back = (s: string) => new Date(Date.parse(s) - ms).toISOString().replace(/\.\d{3}Z$/, "Z");
  env.createdAt -= ms;
  for (const n of env.nodes) n.createdAt -= ms;
  for (const a of state.activities.filter((x) => x.EnvId === envId)) {
    a.StartTime = back(a.StartTime);
    if (a.EndTime) a.EndTime = back(a.EndTime);
  }
  const res = await fetch(`${t.emu.url}/_emulator/state`, { method: "PUT", body: JSON.stringify(state) });
  if (!res.ok) throw new Error(`PUT /_emulator/state: ${res.status}`);
}

/** Batch calls by action from now on (the emulator's counters), read as `since(action)`. */
export function callsSince(emu: Emulator): (action: string) => number {
  const before = new Map(emu.counters);
  return (action) => (emu.counters.get(action) ?? 0) - (before.get(action) ?? 0);
}
