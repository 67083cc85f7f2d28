// What an HTTP function reads from the environment for its HTTP layer: who may call (API_KEYS,
// see auth.ts) and the service path a gateway prefixes to every route (API_BASE_PATH, router.ts).
import { type KeyRing, parseApiKeys } from "./auth";

export interface HttpConfig {
  keys: KeyRing;
  basePath?: string | undefined;
}

/** Never throws: unusable API_KEYS make the function refuse every request (auth.ts). */
export function httpConfigFromEnv(env: NodeJS.ProcessEnv): HttpConfig {
  return { keys: parseApiKeys(env.API_KEYS), basePath: env.API_BASE_PATH?.trim() || undefined };
}
