import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { windowFromQuery, zonedIso, zonedTime } from "../../functions/cost-report/window";
import { FIXED, isValidTimeZone, localParts, offsetAt } from "../../functions/cost-report/zones";

// The reference: every answer from Intl, as window.ts computed it before zones.ts.
const refFormatters = new Map<string, Intl.DateTimeFormat>();
function refParts(ms: number, timeZone: string) {
  let f = refFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
    refFormatters.set(timeZone, f);
  }
  const o: Record<string, number> = {};
  for (const p of f.formatToParts(new Date(ms))) if (p.type !== "literal") o[p.type] = Number(p.value);
  return { year: o.year, month: o.month, day: o.day, hour: o.hour, minute: o.minute, second: o.second };
}
const refOffset = (ms: number, tz: string) => {
  const p = refParts(ms, tz);
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - Math.floor(ms / 1000) * 1000;
};
const refZonedTime = (y: number, m: number, d: number, tz: string, h: number) => {
  const guess = Date.UTC(y, m - 1, d, h);
  return guess - refOffset(guess - refOffset(guess, tz), tz);
};

const TABLE = Object.keys(FIXED);
const ZONES = [...TABLE, "Europe/Berlin", "America/New_York", "America/Sao_Paulo", "Asia/Kolkata", "Australia/Lord_Howe"];
const H = 3_600_000;
const at = (iso: string) => Date.parse(iso);

/** Instants (with zones) where zones.ts and Intl disagree: none, or the first few. */
const disagreements: string[] = [];
const agrees = (ms: number, tz: string) => {
  const [p, r] = [localParts(ms, tz), refParts(ms, tz)];
  const same = p.year === r.year && p.month === r.month && p.day === r.day && p.hour === r.hour && p.minute === r.minute && p.second === r.second;
  if ((!same || offsetAt(ms, tz) !== refOffset(ms, tz)) && disagreements.length < 5) disagreements.push(`${tz} at ${ms}`);
};

describe("time zone offsets without Intl", () => {
  afterEach(() => {
    vi.restoreAllMocks();
    expect(disagreements.splice(0)).toEqual([]);
  });

  it("lists only zones Intl knows, each with the offset Intl gives it since then", () => {
    for (const [tz, [minutes, year]] of Object.entries(FIXED)) {
      expect(() => new Intl.DateTimeFormat("en-US", { timeZone: tz })).not.toThrow();
      expect(refOffset(Date.UTC(year, 0, 1), tz), tz).toBe(minutes * 60_000);
    }
  });

  it("agrees with Intl every 383 hours from 1900 to 2100, in zones with and without daylight saving", () => {
    for (const tz of ZONES) for (let ms = at("1900-01-01T00:00:00Z"); ms < at("2100-01-01T00:00:00Z"); ms += 383 * H + 1_234) agrees(ms, tz);
  });

  it("agrees with Intl hour by hour through China's last daylight saving and around the start of each table zone's year", () => {
    const around = (from: number, to: number, tz: string) => {
      for (let ms = from; ms <= to; ms += H) agrees(ms, tz);
    };
    around(at("1991-04-13T00:00:00Z"), at("1991-09-16T00:00:00Z"), "Asia/Shanghai"); // China's last daylight saving
    for (const [tz, [, year]] of Object.entries(FIXED)) around(Date.UTC(year, 0, 1) - 48 * H, Date.UTC(year, 0, 1) + 48 * H, tz);
  });

  it("agrees with Intl at any millisecond, and finds the same instant for any local wall time", () => {
    const zone = fc.constantFrom(...ZONES);
    fc.assert(
      fc.property(zone, fc.integer({ min: at("1800-01-01T00:00:00Z"), max: at("2300-01-01T00:00:00Z") }), (tz, ms) => agrees(ms, tz)),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(zone, fc.integer({ min: 1900, max: 2200 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 23 }), (tz, y, m, d, h) => {
        expect(zonedTime(y, m, d, tz, h)).toBe(refZonedTime(y, m, d, tz, h));
      }),
      { numRuns: 3000 },
    );
  });

  it("prints local stamps with their offsets", () => {
    expect(zonedIso(at("2026-11-01T16:00:00Z"), "Asia/Shanghai")).toBe("2026-11-02T00:00:00+08:00");
    expect(zonedIso(at("1991-07-01T00:00:00Z"), "Asia/Shanghai")).toBe("1991-07-01T09:00:00+09:00");
    expect(zonedIso(at("2026-07-01T00:00:00.999Z"), "UTC")).toBe("2026-07-01T00:00:00+00:00");
    expect(zonedIso(at("2026-07-01T00:00:00Z"), "Europe/Berlin")).toBe("2026-07-01T02:00:00+02:00");
    expect(zonedIso(at("2026-07-01T00:00:00Z"), "Asia/Kolkata")).toBe("2026-07-01T05:30:00+05:30");
  });

  it("answers the default zone's windows and zone check without Intl", () => {
    const format = vi.spyOn(Intl.DateTimeFormat.prototype, "formatToParts");
    const ctor = vi.spyOn(Intl, "DateTimeFormat");
    for (const tz of TABLE) {
      expect(isValidTimeZone(tz)).toBe(true);
      const w = windowFromQuery({ from: "2026-11-01", to: "2026-11-02" }, tz, Date.parse("2026-12-01T00:00:00Z"));
      expect(zonedIso(w.from, tz)).toMatch(/^2026-11-01T00:00:00[+-]\d\d:\d\d$/);
    }
    expect(ctor).not.toHaveBeenCalled();
    expect(format).not.toHaveBeenCalled();
    expect(isValidTimeZone("Mars/Olympus")).toBe(false);
    expect(isValidTimeZone("Europe/Berlin")).toBe(true);
  });
});
