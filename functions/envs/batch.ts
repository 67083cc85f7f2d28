// The Batch operations the envs API calls: its port has these and no others, so its bundle carries no
// other operation or reply schema (shared/batch/operations.ts). A call outside them does not compile.
import { createEnv, getEnv, getEnvCreateInfo, listEnvs, setDesiredNodes, renameEnv, deleteEnv, terminateNodes, listEnvActivities, type PortOf } from "../../shared/batch/operations";

export const ENVS_BATCH = { createEnv, getEnv, getEnvCreateInfo, listEnvs, setDesiredNodes, renameEnv, deleteEnv, terminateNodes, listEnvActivities };
export type EnvsBatch = PortOf<typeof ENVS_BATCH>;
