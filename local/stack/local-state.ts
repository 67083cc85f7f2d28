// What the local stack keeps under LOCAL_DATA_DIR besides the emulator's data: the local API
// key (generated once, file mode 0600) and the demo environment's ClientToken.
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Every scope the functions know: the local key may call every route. */
export const LOCAL_KEY_SCOPES = ["jobs:read", "jobs:write", "envs:read", "envs:write"] as const;
export const LOCAL_KEY_NAME = "local";

export interface LocalKey {
  name: string;
  key: string;
  /** The API_KEYS value granting this key every scope. */
  apiKeys: string;
}

/** The local API key, created on first start and kept in `<dataDir>/api-key`. */
export function ensureLocalApiKey(dataDir: string): LocalKey {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, "api-key");
  let key = existsSync(file) ? readFileSync(file, "utf8").trim() : "";
  if (!/^[A-Za-z0-9._~+/=-]{16,256}$/.test(key)) {
    key = `lk-${randomBytes(24).toString("hex")}`;
    writeFileSync(file, `${key}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return { name: LOCAL_KEY_NAME, key, apiKeys: `${LOCAL_KEY_NAME}:${key}:${LOCAL_KEY_SCOPES.join("|")}` };
}

/**
 * The local master key job notifications are signed under (WEBHOOK_SIGNING_KEYS when not given),
 * created on first start and kept in `<dataDir>/webhook-signing-key` (mode 0600).
 */
export function ensureLocalSigningKey(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, "webhook-signing-key");
  let key = existsSync(file) ? readFileSync(file, "utf8").trim() : "";
  if (!/^[A-Za-z0-9._~+/=-]{32,256}$/.test(key)) {
    key = randomBytes(32).toString("hex");
    writeFileSync(file, `${key}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return key;
}

interface StackState {
  demoEnvToken?: string;
}

export function readStackState(dataDir: string): StackState {
  try {
    return JSON.parse(readFileSync(join(dataDir, "stack-state.json"), "utf8")) as StackState;
  } catch {
    return {};
  }
}

export function writeStackState(dataDir: string, state: StackState): void {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, "stack-state.json"), `${JSON.stringify(state, null, 2)}\n`);
}
