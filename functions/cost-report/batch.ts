// The Batch operations the cost report calls: its port has these and no others, so its bundle carries no
// other operation or reply schema (shared/batch/operations.ts). A call outside them does not compile.
import { getEnv, getEnvCreateInfo, getJob, getTask, listEnvActivities, listEnvs, listJobs, type PortOf } from "../../shared/batch/operations";

export const COST_BATCH = { getEnv, getEnvCreateInfo, getJob, getTask, listEnvActivities, listEnvs, listJobs };
export type CostBatch = PortOf<typeof COST_BATCH>;
