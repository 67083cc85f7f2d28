// What started the run: a timer (report the local day before its Time, or the `{from,to}`
// in its Message for a backfill) or a direct invoke naming `{from, to}`. Lenient: a bad
// Message is logged and the default window used; it is never a reason to fail and retry.
import * as z from "../../shared/zod";
import { type ReportWindow, defaultWindow, windowFromQuery } from "./window";

export const TimerEventSchema = z.looseObject({
  Type: z.string().check(z.refine((t) => t.toLowerCase() === "timer", "Type is Timer")),
  TriggerName: z.nullish(z.string()),
  Time: z.nullish(z.string()),
  Message: z.optional(z.unknown()),
});

const RangeSchema = z.looseObject({ from: z.string(), to: z.string() });

export interface TriggerWindow {
  window: ReportWindow;
  source: "timer" | "timer-message" | "invoke" | "default";
  /** Why a requested window was not used (logged). */
  warning?: string;
}

function parseMessage(m: unknown): unknown {
  if (typeof m !== "string") return m;
  const s = m.trim();
  if (!s.startsWith("{")) return undefined;
  try {
    return JSON.parse(s);
  } catch {
    return { invalidJson: s.slice(0, 80) };
  }
}

/** The report window for an event at `now` (epoch ms), in `timeZone`. */
export function windowForEvent(event: unknown, now: number, timeZone: string): TriggerWindow {
  const timer = TimerEventSchema.safeParse(event);
  if (timer.success) {
    const t = timer.data.Time ? Date.parse(timer.data.Time) : Number.NaN;
    let fallback = defaultWindow(Number.isFinite(t) ? t : now, timeZone);
    // A Time whose day before has not started (a clock far ahead, a hand-made event) would report,
    // and write, a day of zeros: the day before now is reported instead, with a warning.
    const ahead = fallback.from >= now;
    if (ahead) fallback = defaultWindow(now, timeZone);
    const msg = parseMessage(timer.data.Message);
    if (msg === undefined || msg === null || msg === "")
      return { window: fallback, source: "timer", ...(ahead ? { warning: "the timer Time is ahead of now; reporting the day before now" } : {}) };
    const range = RangeSchema.safeParse(msg);
    if (!range.success) {
      return { window: fallback, source: "timer", warning: "the timer Message is not a JSON {from, to}; reporting the default day" };
    }
    try {
      return { window: windowFromQuery(range.data, timeZone, now), source: "timer-message" };
    } catch (e) {
      return { window: fallback, source: "timer", warning: `the timer Message window is invalid (${(e as Error).message}); reporting the default day` };
    }
  }
  const range = RangeSchema.safeParse(event);
  if (range.success) {
    try {
      return { window: windowFromQuery(range.data, timeZone, now), source: "invoke" };
    } catch (e) {
      return {
        window: defaultWindow(now, timeZone),
        source: "default",
        warning: `the invoke window is invalid (${(e as Error).message}); reporting yesterday`,
      };
    }
  }
  return { window: defaultWindow(now, timeZone), source: "default" };
}
