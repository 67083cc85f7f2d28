// SCF timer cron: 7 fields, `second minute hour day month weekday year`, evaluated on the clock
// of SCF_CRON_UTC_OFFSET_HOURS (UTC+8, Beijing time: see there for how sure that is).
// Supported: numbers, `*`, `?` (day or weekday), lists `a,b`, ranges `a-b`, steps `*/n`, `a/n`,
// `a-b/n`, month names JAN-DEC and weekday names SUN-SAT (0 = Sunday), and Tencent's special
// characters as in Quartz: day `L` (last day of the month), `L-n` (n days before it), `LW` (last
// weekday, Mon-Fri), `nW` (the weekday nearest to day n, within the month); weekday `L`
// (Saturday), `nL` (the last weekday n of the month, e.g. `5L`, `FRIL`), `n#k` (the k-th weekday
// n, e.g. `MON#2`), each alone in its field. Refused with a reason: the legacy 5-field form,
// values out of range, reversed ranges, special characters elsewhere or in a list, and a cron
// that never fires (`0 0 0 31 2 ? *`).
// Day and weekday: when one of them is `*` or `?`, only the other constrains; when both are
// restricted, a time matches if either matches (classic cron).

export class CronError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CronError";
  }
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  question?: boolean;
}

const FIELDS: readonly FieldSpec[] = [
  { name: "second", min: 0, max: 59 },
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day", min: 1, max: 31, question: true },
  {
    name: "month",
    min: 1,
    max: 12,
    names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
  },
  { name: "weekday", min: 0, max: 6, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], question: true },
  { name: "year", min: 1970, max: 2099 },
];

type DateRule = (d: Date) => boolean;

export interface CronSchedule {
  source: string;
  second: ReadonlySet<number>;
  minute: ReadonlySet<number>;
  hour: ReadonlySet<number>;
  day: ReadonlySet<number>;
  month: ReadonlySet<number>;
  weekday: ReadonlySet<number>;
  year: ReadonlySet<number>;
  /** Day-field items that depend on the month (`L`, `L-n`, `LW`, `nW`). */
  dayRules: readonly DateRule[];
  /** Weekday-field items that depend on the month (`nL`, `n#k`). */
  weekdayRules: readonly DateRule[];
  /** `*` or `?` in the day field. */
  anyDay: boolean;
  /** `*` or `?` in the weekday field. */
  anyWeekday: boolean;
}

export function parseCron(expression: string): CronSchedule {
  const parts = expression.trim().split(/\s+/).filter(Boolean);
  if (parts.length !== 7) {
    throw new CronError(
      `expected 7 fields (second minute hour day month weekday year), got ${parts.length}` +
        (parts.length === 5 ? "; the legacy 5-field form is not accepted here, prefix a second and append a year: `0 <5 fields> *`" : ""),
    );
  }
  const sets: Array<Set<number>> = [];
  const any: boolean[] = [];
  const rules: DateRule[][] = [];
  parts.forEach((text, i) => {
    const spec = FIELDS[i]!;
    const r = parseField(text, spec);
    sets.push(r.values);
    any.push(r.any);
    rules.push(r.rules);
  });
  const schedule: CronSchedule = {
    source: parts.join(" "),
    second: sets[0]!,
    minute: sets[1]!,
    hour: sets[2]!,
    day: sets[3]!,
    month: sets[4]!,
    weekday: sets[5]!,
    year: sets[6]!,
    dayRules: rules[3]!,
    weekdayRules: rules[5]!,
    anyDay: any[3]!,
    anyWeekday: any[5]!,
  };
  // A valid-looking cron whose days never exist (31 FEB, 31 APR, …) would silently never run.
  if (nextFire(schedule, new Date(Date.UTC(1970, 0, 1) - 1000)) === undefined) {
    throw new CronError(`never fires: no date matches day ${parts[3]}, month ${parts[4]}, weekday ${parts[5]}, year ${parts[6]}`);
  }
  return schedule;
}

function parseField(text: string, spec: FieldSpec): { values: Set<number>; any: boolean; rules: DateRule[] } {
  const fail = (why: string): never => {
    throw new CronError(`${spec.name} field ${JSON.stringify(text)}: ${why}`);
  };
  if (text === "?") {
    if (!spec.question) fail("? is only allowed in the day and weekday fields");
    return { values: range(spec.min, spec.max, 1), any: true, rules: [] };
  }
  const values = new Set<number>();
  const rules: DateRule[] = [];
  const items = text.split(",");
  for (const item of items) {
    if (item === "") fail("empty list element");
    if (isSpecial(item, spec)) {
      const special = spec.name === "day" ? dayRule(item, fail) : spec.name === "weekday" ? weekdayRule(item, spec, fail) : undefined;
      if (!special) fail(`${JSON.stringify(item)}: L, W and # are only allowed in the day and weekday fields`);
      // As Quartz (and so Tencent's cron): L, W, nL and # stand alone in their field.
      if (items.length > 1) fail(`${JSON.stringify(item)}: L, W and # cannot be combined with other values in a list`);
      if (typeof special === "number") values.add(special);
      else if (special) rules.push(special);
      continue;
    }
    const [base, stepText, extra] = item.split("/");
    if (extra !== undefined) fail(`more than one / in ${JSON.stringify(item)}`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText)) fail(`step ${JSON.stringify(stepText)} is not a positive integer`);
      step = Number(stepText);
      if (step < 1) fail("step must be at least 1");
    }
    let lo: number;
    let hi: number;
    if (base === "*") {
      lo = spec.min;
      hi = spec.max;
    } else if (base?.includes("-")) {
      const [a, b, more] = base.split("-");
      if (more !== undefined || a === undefined || b === undefined) fail(`malformed range ${JSON.stringify(base)}`);
      lo = value(a as string, spec, fail);
      hi = value(b as string, spec, fail);
      if (lo > hi) fail(`range ${base} runs backwards`);
    } else {
      lo = value(base ?? "", spec, fail);
      hi = stepText !== undefined ? spec.max : lo;
    }
    for (const v of range(lo, hi, step)) values.add(v);
  }
  return { values, any: text === "*", rules };
}

/** An L/W/# item: in the day field any L or W (it has no names); elsewhere #, or L after a number or a name. */
function isSpecial(item: string, spec: FieldSpec): boolean {
  if (item.includes("#")) return true;
  if (spec.name === "day" || !spec.names) return /[LW]/i.test(item);
  return /^(L|(\d+|[A-Z]{3})L)$/i.test(item);
}

const lastDayOf = (y: number, m: number) => new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
const weekdayOf = (y: number, m: number, day: number) => new Date(Date.UTC(y, m, day)).getUTCDay();

/** The Mon-Fri day nearest to `day` in the month (never crossing into another month). */
function nearestWeekday(y: number, m: number, day: number): number {
  const last = lastDayOf(y, m);
  const wd = weekdayOf(y, m, day);
  if (wd === 6) return day === 1 ? 3 : day - 1;
  if (wd === 0) return day === last ? day - 2 : day + 1;
  return day;
}

function dayRule(item: string, fail: (why: string) => never): DateRule {
  const up = item.toUpperCase();
  if (up === "L") return (d) => d.getUTCDate() === lastDayOf(d.getUTCFullYear(), d.getUTCMonth());
  if (up === "LW") {
    return (d) => {
      const y = d.getUTCFullYear();
      const m = d.getUTCMonth();
      return d.getUTCDate() === nearestWeekday(y, m, lastDayOf(y, m));
    };
  }
  const before = /^L-(\d+)$/.exec(up);
  if (before) {
    const n = Number(before[1]);
    if (n > 30) fail(`L-${n}: at most L-30`);
    return (d) => d.getUTCDate() === lastDayOf(d.getUTCFullYear(), d.getUTCMonth()) - n;
  }
  const near = /^(\d+)W$/.exec(up);
  if (near) {
    const n = Number(near[1]);
    if (n < 1 || n > 31) fail(`${n}W: the day must be 1-31`);
    return (d) => {
      const y = d.getUTCFullYear();
      const m = d.getUTCMonth();
      // Like Quartz, a day the month does not have (31W in April) never fires that month.
      return n <= lastDayOf(y, m) && d.getUTCDate() === nearestWeekday(y, m, n);
    };
  }
  return fail(`${JSON.stringify(item)} is not L, L-n, LW or nW`);
}

/** A weekday item with L or #: a rule, or (for `L` alone, Saturday as in Quartz) a plain value. */
function weekdayRule(item: string, spec: FieldSpec, fail: (why: string) => never): DateRule | number {
  const up = item.toUpperCase();
  if (up === "L") return 6;
  const last = /^(\d+|[A-Z]{3})L$/.exec(up);
  if (last) {
    const wd = value(last[1]!, spec, fail);
    return (d) => d.getUTCDay() === wd && d.getUTCDate() + 7 > lastDayOf(d.getUTCFullYear(), d.getUTCMonth());
  }
  const nth = /^(\d+|[A-Z]{3})#(\d+)$/.exec(up);
  if (nth) {
    const wd = value(nth[1]!, spec, fail);
    const k = Number(nth[2]);
    if (k < 1 || k > 5) fail(`${item}: the occurrence after # must be 1-5`);
    return (d) => d.getUTCDay() === wd && Math.ceil(d.getUTCDate() / 7) === k;
  }
  return fail(`${JSON.stringify(item)} is not L, nL or n#k`);
}

function value(text: string, spec: FieldSpec, fail: (why: string) => never): number {
  const named = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  if (named >= 0) return spec.min + named;
  if (!/^\d+$/.test(text)) {
    return fail(
      spec.names
        ? `${JSON.stringify(text)} is neither a number nor one of ${spec.names[0]}-${spec.names[spec.names.length - 1]}`
        : `${JSON.stringify(text)} is not a number`,
    );
  }
  const n = Number(text);
  if (n < spec.min || n > spec.max) fail(`${n} is out of range ${spec.min}-${spec.max}`);
  return n;
}

function range(lo: number, hi: number, step: number): Set<number> {
  const s = new Set<number>();
  for (let v = lo; v <= hi; v += step) s.add(v);
  return s;
}

function dayMatches(s: CronSchedule, d: Date): boolean {
  const byDay = s.day.has(d.getUTCDate()) || s.dayRules.some((r) => r(d));
  const byWeekday = s.weekday.has(d.getUTCDay()) || s.weekdayRules.some((r) => r(d));
  if (s.anyDay && s.anyWeekday) return true;
  if (s.anyDay) return byWeekday;
  if (s.anyWeekday) return byDay;
  return byDay || byWeekday;
}

/**
 * The clock SCF's timer cron is read on: UTC+8 (China has no DST, so a fixed offset). UNVERIFIED:
 * Tencent's timer-trigger page (cloud.tencent.com/document/product/583/9708) names no time zone;
 * platforms that run on SCF say UTC+8 (DCloud uniCloud, uniapp.dcloud.net.cn/uniCloud/trigger:
 * "定时触发使用的是utc+8的时间"; the WeChat cloud-development trigger doc: "触发器规则的时区为 UTC+8").
 * The function's own clock is UTC unless TZ is set (583/19805); TZ does not move the schedule.
 * LOCAL_CRON_UTC_OFFSET_HOURS overrides it for the local timers.
 */
export const SCF_CRON_UTC_OFFSET_HOURS = 8;

/** The local timers' clock: LOCAL_CRON_UTC_OFFSET_HOURS (-12..14, e.g. 0 for UTC), else SCF's. */
export function cronOffsetHours(env: NodeJS.ProcessEnv): number {
  const raw = env.LOCAL_CRON_UTC_OFFSET_HOURS;
  if (raw === undefined || raw === "") return SCF_CRON_UTC_OFFSET_HOURS;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < -12 || n > 14) throw new CronError(`LOCAL_CRON_UTC_OFFSET_HOURS must be hours from UTC, -12..14; got ${JSON.stringify(raw)}`);
  return n;
}

/** The first fire time strictly after `after` on a clock `offsetHours` from UTC (SCF: +8). */
export function nextFireAt(s: CronSchedule, after: Date, offsetHours: number): Date | undefined {
  const shift = offsetHours * 3_600_000;
  const next = nextFire(s, new Date(after.getTime() + shift));
  return next && new Date(next.getTime() - shift);
}

/** The first fire time strictly after `after` (whole seconds, UTC), or undefined when none is left (after 2099). */
export function nextFire(s: CronSchedule, after: Date): Date | undefined {
  let t = Math.floor(after.getTime() / 1000) * 1000 + 1000;
  for (let guard = 0; guard < 2_000_000; guard++) {
    const d = new Date(t);
    const y = d.getUTCFullYear();
    if (y > 2099) return undefined;
    if (!s.year.has(y)) {
      t = Date.UTC(y + 1, 0, 1);
      continue;
    }
    const mo = d.getUTCMonth();
    if (!s.month.has(mo + 1)) {
      t = Date.UTC(y, mo + 1, 1);
      continue;
    }
    if (!dayMatches(s, d)) {
      t = Date.UTC(y, mo, d.getUTCDate() + 1);
      continue;
    }
    if (!s.hour.has(d.getUTCHours())) {
      t = Date.UTC(y, mo, d.getUTCDate(), d.getUTCHours() + 1);
      continue;
    }
    if (!s.minute.has(d.getUTCMinutes())) {
      t = Date.UTC(y, mo, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes() + 1);
      continue;
    }
    if (!s.second.has(d.getUTCSeconds())) {
      t += 1000;
      continue;
    }
    return d;
  }
  return undefined;
}
