// A time zone's wall time and UTC offset at an instant. Only Intl knows every IANA zone, but the
// first Intl.DateTimeFormat of a process loads ICU's locale and zone data: ~13 ms or more of a
// cold start, for the default zone whose offset has not moved since 1991. Zones listed in FIXED
// are answered by arithmetic from 1 January of their year on; any other zone or earlier instant
// asks one cached formatter per zone. test/cost-report/zones.test.ts holds the table to Intl.

/** Zone → [its only UTC offset in minutes, the year from whose 1 January UTC it has held]. */
export const FIXED: Readonly<Record<string, readonly [number, number]>> = {
  UTC: [0, 1970],
  "Etc/UTC": [0, 1970],
  "Asia/Shanghai": [480, 1992],
  "Asia/Hong_Kong": [480, 1980],
  "Asia/Singapore": [480, 1982],
  "Asia/Tokyo": [540, 1952],
};

/** The zone's offset in ms at `ms` when FIXED knows it; undefined sends the caller to Intl. */
function fixedOffset(ms: number, timeZone: string): number | undefined {
  const z = Object.hasOwn(FIXED, timeZone) && FIXED[timeZone];
  // Up to year 33658: past 8.64e15 - offset, ms + offset leaves Date's range while Intl still answers.
  return z && ms >= Date.UTC(z[1], 0, 1) && ms < 1e15 ? z[0] * 60_000 : undefined;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when the runtime knows the IANA zone name. */
export function isValidTimeZone(timeZone: string): boolean {
  if (Object.hasOwn(FIXED, timeZone)) return true;
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

export interface LocalParts {
  year: number;
  month: number; // 1..12
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** Wall time in the zone at `ms`, to the second. */
export function localParts(ms: number, timeZone: string): LocalParts {
  const fixed = fixedOffset(ms, timeZone);
  if (fixed !== undefined) {
    const d = new Date(ms + fixed);
    return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds() };
  }
  const out: Record<string, number> = {};
  // "literal" parts land under their own key, which nothing reads.
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) out[p.type] = Number(p.value);
  return {
    year: out.year ?? 1970,
    month: out.month ?? 1,
    day: out.day ?? 1,
    hour: out.hour ?? 0,
    minute: out.minute ?? 0,
    second: out.second ?? 0,
  };
}

/** `ms` down to the whole second: Batch's resolution, and the report's. */
export const wholeSeconds = (ms: number): number => Math.floor(ms / 1000) * 1000;

/** Offset of the zone from UTC at `ms`, in ms (Asia/Shanghai: +8 h). */
export function offsetAt(ms: number, timeZone: string): number {
  const fixed = fixedOffset(ms, timeZone);
  if (fixed !== undefined) return fixed;
  const p = localParts(ms, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - wholeSeconds(ms);
}
