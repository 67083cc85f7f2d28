// Emulator settings from the environment, with defaults that work on a fresh machine.
import { resolve } from "node:path";
import type { EmulatorOptions } from "./server";

/** The local credential pair: printed at start, never a real Tencent key. */
export const LOCAL_SECRET_ID = "AKIDlocalbatchemulator000000000000";
export const LOCAL_SECRET_KEY = "localbatchemulatorsecretkey00000";

export function emulatorOptionsFromEnv(env: NodeJS.ProcessEnv): EmulatorOptions & { dataDir: string } {
  const port = env.BATCH_EMULATOR_PORT ? Number(env.BATCH_EMULATOR_PORT) : 9100;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`BATCH_EMULATOR_PORT must be a port number, got ${env.BATCH_EMULATOR_PORT}`);
  const ms = (name: string, fallback?: number) => {
    const v = env[name];
    if (v === undefined || v === "") return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number of milliseconds, got ${v}`);
    return n;
  };
  const timings: EmulatorOptions["timings"] = {};
  const map: Array<[string, keyof NonNullable<EmulatorOptions["timings"]>]> = [
    ["EMULATOR_NODE_SUBMIT_MS", "nodeSubmitMs"],
    ["EMULATOR_NODE_CREATE_MS", "nodeCreateMs"],
    ["EMULATOR_NODE_START_MS", "nodeStartMs"],
    ["EMULATOR_NODE_DELETE_MS", "nodeDeleteMs"],
    ["EMULATOR_ABNORMAL_RECREATE_MS", "abnormalRecreateMs"],
    ["EMULATOR_ANONYMOUS_NODE_MS", "anonymousNodeMs"],
    ["EMULATOR_TICK_MS", "tickMs"],
    ["EMULATOR_SCF_CREATE_MS", "scfCreateMs"],
    ["EMULATOR_SCF_UPDATE_MS", "scfUpdateMs"],
    // 0 (default): off. Above 0: an env applying a change refuses another (see ./envs).
    ["EMULATOR_ENV_BUSY_MS", "envBusyMs"],
  ];
  for (const [name, key] of map) {
    const v = ms(name);
    if (v !== undefined) timings[key] = v;
  }
  return {
    host: "127.0.0.1",
    port,
    dataDir: resolve(env.LOCAL_DATA_DIR ?? ".local"),
    credentials: [{ secretId: env.TENCENTCLOUD_SECRETID || LOCAL_SECRET_ID, secretKey: env.TENCENTCLOUD_SECRETKEY || LOCAL_SECRET_KEY }],
    region: env.TENCENTCLOUD_REGION || "ap-guangzhou",
    timings,
    exec: (env.EMULATOR_EXEC ?? "on").toLowerCase() !== "off",
  };
}
