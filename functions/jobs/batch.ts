// The Batch operations the jobs API calls: its port has these and no others, so its bundle carries no
// other operation or reply schema (shared/batch/operations.ts). A call outside them does not compile.
import { submitJob, getJob, listJobs, getJobSubmitInfo, terminateJob, deleteJob, retryJobs, getTask, getTaskLogs } from "../../shared/batch/operations";
import type { PortOf } from "../../shared/batch/operations";

export const JOBS_BATCH = { submitJob, getJob, listJobs, getJobSubmitInfo, terminateJob, deleteJob, retryJobs, getTask, getTaskLogs };
export type JobsBatch = PortOf<typeof JOBS_BATCH>;
