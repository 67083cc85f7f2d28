// Report windows in a time zone: the default window (the local day before the trigger),
// backfill windows from `{from, to}`, local-day boundaries and the calendar month.
// Pure: no clock, no environment; every instant is a Date or epoch milliseconds.
import { type FieldIssue, validationError } from "../../shared/errors";
import { type LocalParts, localParts, offsetAt, wholeSeconds } from "./zones";

export interface ReportWindow {
  /** Inclusive start, epoch ms. */
  from: number;
  /** Exclusive end, epoch ms. */
  to: number;
  timeZone: string;
}

export const DEFAULT_TIME_ZONE = "Asia/Shanghai";
/** Longest window a report may cover (a backfill of a year at most). */
export const MAX_WINDOW_DAYS = 366;
const DAY_MS = 86_400_000;

/** The instant of local wall time y-m-d hh:mm:ss in the zone (month and day may overflow). */
export function zonedTime(year: number, month: number, day: number, timeZone: string, hour = 0, minute = 0, second = 0): number {
  const guess = Date.UTC(year, month - 1, day, hour, minute, second);
  let t = guess - offsetAt(guess, timeZone);
  // A second pass settles instants near a DST change.
  t = guess - offsetAt(t, timeZone);
  return t;
}

/** Start of the local day that contains `ms`. */
export function startOfLocalDay(ms: number, timeZone: string): number {
  const p = localParts(ms, timeZone);
  return zonedTime(p.year, p.month, p.day, timeZone);
}

/** `YYYY-MM-DD` of the local day containing `ms`. */
export const localDate = (ms: number, timeZone: string): string => ymd(localParts(ms, timeZone));

const ymd = (p: LocalParts) => `${p.year}-${pad(p.month)}-${pad(p.day)}`;
const pad = (n: number) => String(n).padStart(2, "0");

/** The local day before the one containing `at` (the timer's `Time`). */
export function defaultWindow(at: number, timeZone: string): ReportWindow {
  const p = localParts(at, timeZone);
  return {
    from: zonedTime(p.year, p.month, p.day - 1, timeZone),
    to: zonedTime(p.year, p.month, p.day, timeZone),
    timeZone,
  };
}

export interface Day {
  /** `YYYY-MM-DD` in the report's zone. */
  date: string;
  from: number;
  to: number;
}

/** The local days the window touches, each clipped to the window. */
export function daysOf(w: ReportWindow): Day[] {
  const out: Day[] = [];
  let start = w.from;
  while (start < w.to) {
    const p = localParts(start, w.timeZone);
    const next = zonedTime(p.year, p.month, p.day + 1, w.timeZone);
    out.push({ date: ymd(p), from: start, to: Math.min(next, w.to) });
    start = next;
  }
  return out;
}

export interface MonthSpan {
  /** `YYYY-MM` in the report's zone. */
  month: string;
  from: number;
  to: number;
}

/** The local calendar month that contains the instant `ms`. */
export function monthOf(ms: number, timeZone: string): MonthSpan {
  const p = localParts(ms, timeZone);
  return {
    month: `${p.year}-${pad(p.month)}`,
    from: zonedTime(p.year, p.month, 1, timeZone),
    to: zonedTime(p.year, p.month + 1, 1, timeZone),
  };
}

/** The instants a report counts between: its window up to now, and the window's month up to then. */
export interface ReportSpan {
  window: ReportWindow;
  /** Whole seconds, as every time the report reads. */
  now: number;
  /** The window's end, or now if earlier (never before the window's start). */
  countedTo: number;
  /** The local month of the window's last instant. */
  month: MonthSpan;
  /** Month to date runs up to here. */
  mtdTo: number;
  days: Day[];
}

export function reportSpan(window: ReportWindow, now: number): ReportSpan {
  const whole = wholeSeconds(now);
  const countedTo = Math.max(window.from, Math.min(window.to, whole));
  const month = monthOf(window.to - 1, window.timeZone);
  return { window, now: whole, countedTo, month, mtdTo: Math.max(month.from, Math.min(countedTo, month.to)), days: daysOf(window) };
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * A window bound: `YYYY-MM-DD` (local midnight in the report's zone) or an ISO-8601
 * instant with an explicit zone. Anything else is refused rather than guessed.
 */
export function parseBound(value: string, timeZone: string): number | undefined {
  const v = value.trim();
  const d = DATE_ONLY.exec(v);
  if (d) {
    const [y, m, day] = [Number(d[1]), Number(d[2]), Number(d[3])];
    if (m < 1 || m > 12 || day < 1 || day > 31) return undefined;
    const t = zonedTime(y, m, day, timeZone);
    return localDate(t, timeZone) === v ? t : undefined;
  }
  if (!DATE_TIME_WITH_ZONE.test(v)) return undefined;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : undefined;
}

/**
 * Validates a requested window (`from` inclusive, `to` exclusive) at `now` (epoch ms); throws a
 * 400 naming the field. A window that has not started (`from` at or after `now`, to the second)
 * is refused at `from`: nothing of it can be counted, and a report of it would be all zeros. A
 * window that has started and ends in the future is allowed: the report counts up to `now`
 * (`window.countedTo`) and the month's projection runs at the rate so far.
 */
export function windowFromQuery(q: { from?: unknown; to?: unknown }, timeZone: string, now: number): ReportWindow {
  const issues: FieldIssue[] = [];
  const bound = (name: "from" | "to"): number | undefined => {
    const raw = q[name];
    if (typeof raw !== "string" || raw.trim() === "") {
      issues.push({ path: name, message: "is required: YYYY-MM-DD or an ISO-8601 time with a zone" });
      return undefined;
    }
    const t = parseBound(raw, timeZone);
    if (t === undefined) issues.push({ path: name, message: `"${raw}" is not YYYY-MM-DD or an ISO-8601 time with a zone` });
    return t;
  };
  const from = bound("from");
  const to = bound("to");
  if (from !== undefined && to !== undefined) {
    if (to <= from) issues.push({ path: "to", message: "must be after from" });
    else if (to - from > MAX_WINDOW_DAYS * DAY_MS)
      issues.push({ path: "to", message: `the window may span at most ${MAX_WINDOW_DAYS} days` });
    const started = wholeSeconds(now);
    if (from >= started) issues.push({ path: "from", message: `the window has not started: now is ${zonedIso(started, timeZone)}` });
  }
  if (issues.length > 0 || from === undefined || to === undefined) throw validationError(issues);
  return { from, to, timeZone };
}

/** ISO-8601 in the zone's wall time with its offset, to the second: `2019-02-20T00:00:00+08:00`. */
export function zonedIso(ms: number, timeZone: string): string {
  const p = localParts(ms, timeZone);
  const off = offsetAt(ms, timeZone) / 60_000;
  const a = Math.abs(off);
  return `${ymd(p)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}${off < 0 ? "-" : "+"}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}
