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
} as const;
