// An env's most recent node activities, read through the Batch port: the first page, and when
// there are more, the last page too (Batch documents no order; the emulator lists oldest first),
// so the newest are in hand whichever way Batch lists them. One home for the envs API's cooldown,
// node-abnormal's safeguards and autoscale's reads.
import type { Activity } from "./models";
import type { BatchPort } from "./port";

const PAGE = 100;

/** The first and (when there are more) the last page of the env's activities, deduplicated; `calls` made (1 or 2). */
export async function recentActivities(port: Pick<BatchPort, "listEnvActivities">, envId: string): Promise<{ items: Activity[]; calls: number }> {
  const first = await port.listEnvActivities(envId, { offset: 0, limit: PAGE });
  if (first.total <= first.items.length) return { items: first.items, calls: 1 };
  const last = await port.listEnvActivities(envId, { offset: Math.max(0, first.total - PAGE), limit: PAGE });
  const seen = new Set(first.items.map((a) => a.ActivityId));
  return { items: [...first.items, ...last.items.filter((a) => !seen.has(a.ActivityId))], calls: 2 };
}
