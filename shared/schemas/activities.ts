// Node activities (DescribeComputeEnvActivities): what tells Batch's own actions from a person's
// or another tool's.

/**
 * Batch's own RECREATE of an inactive node (ActionIfComputeNodeInactive=RECREATE) names itself in
 * the activity's Cause (seen as "...recreate..." / "...inactive..."); no one asked for it.
 */
const BATCH_OWN_CAUSE = /recreat|inactive/i;

export const isBatchOwnActivity = (cause: string | null | undefined): boolean => !!cause && BATCH_OWN_CAUSE.test(cause);
