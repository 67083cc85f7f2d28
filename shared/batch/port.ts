// The Batch port: what the functions need from Tencent Cloud Batch, in domain words.
// Request shapes are the SDK's own (callers already know them); replies are the
// zod-parsed models from ./models. The Tencent adapter implements it over the real SDK;
// tests may implement it in memory.
import type {
  CreateComputeEnvRequest,
  DescribeComputeEnvCreateInfoResponse,
  DescribeJobSubmitInfoResponse,
  Filter,
  SubmitJobRequest,
} from "tencentcloud-sdk-nodejs/tencentcloud/services/batch/v20170312/batch_models";
import type {
  Activity,
  ComputeEnv,
  ComputeEnvView,
  JobDetail,
  JobView,
  TaskDetail,
  TaskInstanceLog,
} from "./models";

export type { CreateComputeEnvRequest, Filter, SubmitJobRequest };

export interface PageQuery {
  filters?: Filter[];
  offset?: number;
  limit?: number;
}

export interface Page<T> {
  items: T[];
  total: number;
}

export interface Acknowledged {
  requestId: string;
}

export interface BatchPort {
  // jobs
  submitJob(req: SubmitJobRequest): Promise<{ jobId: string } & Acknowledged>;
  getJob(jobId: string): Promise<JobDetail>;
  listJobs(q: PageQuery & { jobIds?: string[] }): Promise<Page<JobView>>;
  getJobSubmitInfo(jobId: string): Promise<DescribeJobSubmitInfoResponse>;
  terminateJob(jobId: string): Promise<Acknowledged>;
  deleteJob(jobId: string): Promise<Acknowledged>;
  retryJobs(jobIds: string[]): Promise<Acknowledged>;
  getTask(jobId: string, taskName: string, q?: { offset?: number; limit?: number }): Promise<TaskDetail>;
  getTaskLogs(
    jobId: string,
    taskName: string,
    q: { indexes?: number[]; offset?: number; limit?: number },
  ): Promise<Page<TaskInstanceLog>>;

  // compute environments
  createEnv(req: CreateComputeEnvRequest): Promise<{ envId: string } & Acknowledged>;
  getEnv(envId: string): Promise<ComputeEnv>;
  getEnvCreateInfo(envId: string): Promise<DescribeComputeEnvCreateInfoResponse>;
  listEnvs(q: PageQuery & { envIds?: string[] }): Promise<Page<ComputeEnvView>>;
  /** ModifyComputeEnv of the count; `description` (a change stamp, shared/env-policy.ts) in the same call. */
  setDesiredNodes(envId: string, desired: number, opts?: { description?: string }): Promise<Acknowledged>;
  renameEnv(envId: string, change: { name?: string; description?: string }): Promise<Acknowledged>;
  deleteEnv(envId: string): Promise<Acknowledged>;
  terminateNodes(envId: string, nodeIds: string[]): Promise<Acknowledged>;
  listEnvActivities(envId: string, q?: { offset?: number; limit?: number; nodeId?: string }): Promise<Page<Activity>>;
}
