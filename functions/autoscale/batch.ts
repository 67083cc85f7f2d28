// The Batch operations autoscale calls: its port has these and no others, so its bundle carries no
// other operation or reply schema (shared/batch/operations.ts). A call outside them does not compile.
import { getEnv, getEnvCreateInfo, getJobSubmitInfo, getTask, listEnvs, listJobs, listEnvActivities, renameEnv, setDesiredNodes, terminateNodes, type PortOf } from "../../shared/batch/operations";

export const AUTOSCALE_BATCH = { getEnv, getEnvCreateInfo, getJobSubmitInfo, getTask, listEnvs, listJobs, listEnvActivities, renameEnv, setDesiredNodes, terminateNodes };
export type AutoscaleBatch = PortOf<typeof AUTOSCALE_BATCH>;
