// Who owns an env: one home, shared/env-owner.ts (autoscale's route asks too).
export { CREATOR_TAG, creatorOf, ENVS_ADMIN, requireEnvOwner } from "../../shared/env-owner";
