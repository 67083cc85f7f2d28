// Batch's numeric limits (../shared/batch-facts.md, the SDK models), in one table.
export const LIMITS = {
  jobName: 60,
  jobDescription: 200,
  taskName: 60,
  envName: 60,
  envDescription: 200,
  tags: 10,
  priorityMin: 0,
  priorityMax: 100,
  clientToken: 64,
  desiredNodesMax: 2000,
  pageLimit: 100,
  topicName: 64,
  /**
   * Filters in one Describe* request (DescribeJobs, DescribeComputeEnvs, …) and values in one
   * Filter. OURS, not Batch's: Batch documents neither number, only that too many values is
   * `InvalidParameterValue.LimitExceeded` (../shared/tencent-api-reference.md §1.5). 10 filters is
   * what every Tencent API 3.0 action that states a number says ("每次请求的Filters的上限为10":
   * CVM, VPC, THPC, CLB, CFS, … in the SDK's models); 100 values is Batch's own cap on its id lists
   * (EnvIds, TaskTemplateIds ≤ 100). The emulator refuses past the same numbers (local/emulator/paging.ts).
   */
  filters: 10,
  filterValues: 100,
} as const;
