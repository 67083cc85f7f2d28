// Node activities (DescribeComputeEnvActivities): what tells Batch's own actions from a person's
// or another tool's, and an env's creation from a change of its size.
import { parseBatchTime } from "./batch-time";

/**
 * Batch's own RECREATE of an inactive node (ActionIfComputeNodeInactive=RECREATE) names itself in
 * the activity's Cause (seen as "...recreate..." / "...inactive..."); no one asked for it.
 */
const BATCH_OWN_CAUSE = /recreat|inactive/i;

export const isBatchOwnActivity = (cause: string | null | undefined): boolean => !!cause && BATCH_OWN_CAUSE.test(cause);

/**
 * The nodes an env is created with start their CREATE activities at its creation: within this long
 * of its CreateTime, a CREATE is the env's creation, not a change of its size. (The emulator opens
 * them in the same request; that real Batch starts them within seconds is an assumption. A scale
 * within this long of the creation is rare, and at worst counted as part of it.)
 */
export const CREATION_WINDOW_MS = 10_000;

interface ActivityLike {
  ComputeNodeId?: string | null | undefined;
  ComputeNodeActivityType: string;
  ActivityState?: string | null | undefined;
  Cause?: string | null | undefined;
  StartTime?: string | null | undefined;
}

/**
 * The env's latest change of size, by anyone (a person, autoscale, node-abnormal, the console):
 * its latest activity that is neither Batch's own RECREATE, nor part of the env's creation
 * (`envCreatedAt`, its CreateTime), nor the removal of a node whose creation failed (cleanup). The one rule the envs API's cooldown and autoscale's holds
 * start from.
 */
export function latestChange<A extends ActivityLike>(activities: readonly A[], envCreatedAt?: number): { at: number; activity: A } | undefined {
  // Nodes whose creation failed never counted towards the size: removing them is cleanup.
  const neverLive = new Set(
    activities.filter((a) => a.ComputeNodeId && a.ComputeNodeActivityType.toUpperCase() === "CREATE" && a.ActivityState?.toUpperCase() === "FAILED").map((a) => a.ComputeNodeId),
  );
  let best: { at: number; activity: A } | undefined;
  for (const a of activities) {
    if (isBatchOwnActivity(a.Cause)) continue;
    if (a.ComputeNodeActivityType.toUpperCase() === "DESTROY" && neverLive.has(a.ComputeNodeId)) continue;
    const at = parseBatchTime(a.StartTime);
    if (at === undefined) continue;
    if (envCreatedAt !== undefined && a.ComputeNodeActivityType.toUpperCase() === "CREATE" && at < envCreatedAt + CREATION_WINDOW_MS) continue;
    if (!best || at > best.at) best = { at, activity: a };
  }
  return best;
}
