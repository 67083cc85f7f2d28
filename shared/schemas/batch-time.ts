// Batch's timestamps: ISO-8601 UTC `YYYY-MM-DDThh:mm:ssZ`, seconds resolution, `null` until set
// (../shared/tencent-api-reference.md). Some replies have been seen as `YYYY-MM-DD hh:mm:ss`,
// read as UTC. Anything unparsable is treated as absent.

/** Milliseconds since the epoch, or undefined when absent or unparsable. */
export function parseBatchTime(v: string | null | undefined): number | undefined {
  if (!v) return undefined;
  const s = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(v) ? `${v.replace(" ", "T")}Z` : v;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Batch's clock resolution: a time it reports may be up to this much earlier than the event. */
export const BATCH_TIME_RESOLUTION_MS = 1000;

/** An instant as Batch writes times, to the second: `2026-03-02T12:00:00Z`. */
export const formatBatchTime = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
