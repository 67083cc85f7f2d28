// Who owns an env (the envs API and autoscale's route ask): POST /envs tags it with the API key's name; scale, delete and node terminate
// let only that key (or one holding envs:admin) change it. An env without the tag was made
// outside this API (the console, another tool, the local demo env) and stays changeable by any
// envs:write key; the policy's scaleScopes still apply to it. Pure.
import { type Principal, requireOwner } from "./http";

/** The creator tag: reserved (a body may not set it), one of Batch's 10 tags per env. */
export const CREATOR_TAG = "batch-scf/creator";
/** The scope that may change any env, whoever created it. */
export const ENVS_ADMIN = "envs:admin";

/** The API key that created the env through this API, or null when it carries no creator tag. */
export const creatorOf = (env: { Tags?: ReadonlyArray<{ Key: string; Value: string }> | null | undefined }): string | null =>
  env.Tags?.find((t) => t.Key === CREATOR_TAG)?.Value ?? null;

/** 403 not_owner unless `principal` created the env, holds envs:admin, or the env has no creator. */
export function requireEnvOwner(principal: Principal, env: { EnvId: string; Tags?: ReadonlyArray<{ Key: string; Value: string }> | null | undefined }): void {
  requireOwner(principal, creatorOf(env), ENVS_ADMIN, `env ${env.EnvId}`);
}
