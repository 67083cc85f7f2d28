import { describe, expect, it } from "vitest";
import { CronError, nextFire, nextFireAt, parseCron, SCF_CRON_UTC_OFFSET_HOURS } from "../../local/stack/cron";

const at = (iso: string) => new Date(iso);
const next = (expr: string, after: string) => nextFire(parseCron(expr), at(after))?.toISOString();

describe("parseCron / nextFire (UTC)", () => {
  it.each([
    // expression, after, expected next fire
    ["0 */5 * * * * *", "2024-03-01T10:02:30Z", "2024-03-01T10:05:00.000Z"],
    ["0 */5 * * * * *", "2024-03-01T10:05:00Z", "2024-03-01T10:10:00.000Z"],
    ["*/10 * * * * * *", "2024-03-01T10:00:01Z", "2024-03-01T10:00:10.000Z"],
    // a daily 17:00 on the cron's own clock
    ["0 0 17 * * * *", "2024-03-01T17:00:00Z", "2024-03-02T17:00:00.000Z"],
    ["0 0 17 * * * *", "2024-03-01T16:59:59Z", "2024-03-01T17:00:00.000Z"],
    ["0 0 10,14,16 * * * *", "2024-03-01T11:00:00Z", "2024-03-01T14:00:00.000Z"],
    ["0 30 9-17/4 * * * *", "2024-03-01T10:00:00Z", "2024-03-01T13:30:00.000Z"],
    ["0 0 0 1 * * *", "2024-01-15T00:00:00Z", "2024-02-01T00:00:00.000Z"],
    ["0 0 0 31 * * *", "2024-04-01T00:00:00Z", "2024-05-31T00:00:00.000Z"],
    ["0 0 0 29 FEB ? *", "2023-03-01T00:00:00Z", "2024-02-29T00:00:00.000Z"],
    ["0 0 12 ? * MON-FRI *", "2024-03-01T12:00:00Z", "2024-03-04T12:00:00.000Z"], // Fri → Mon
    ["0 0 12 ? * SUN *", "2024-03-01T00:00:00Z", "2024-03-03T12:00:00.000Z"],
    ["0 0 12 ? * 0 *", "2024-03-01T00:00:00Z", "2024-03-03T12:00:00.000Z"],
    ["0 0 0 ? jan,jul mon *", "2024-02-01T00:00:00Z", "2024-07-01T00:00:00.000Z"],
    // both day and weekday restricted: either matches (1st of the month or a Sunday)
    ["0 0 0 1 * SUN *", "2024-03-02T00:00:00Z", "2024-03-03T00:00:00.000Z"],
    ["0 0 0 1 1 * 2030", "2024-03-02T00:00:00Z", "2030-01-01T00:00:00.000Z"],
    ["0 0 0 1 1 * 2025-2099/5", "2024-03-02T00:00:00Z", "2025-01-01T00:00:00.000Z"],
    // L, W and # (Tencent's special characters, Quartz semantics)
    ["0 0 12 L * ? *", "2026-02-10T00:00:00Z", "2026-02-28T12:00:00.000Z"],
    ["0 0 12 L * ? *", "2024-02-10T00:00:00Z", "2024-02-29T12:00:00.000Z"],
    ["0 0 12 L-2 * ? *", "2026-04-01T00:00:00Z", "2026-04-28T12:00:00.000Z"],
    ["0 0 9 LW * ? *", "2026-05-01T00:00:00Z", "2026-05-29T09:00:00.000Z"], // the 31st is a Sunday
    ["0 0 9 15W * ? *", "2026-08-01T00:00:00Z", "2026-08-14T09:00:00.000Z"], // the 15th is a Saturday
    ["0 0 9 1W * ? *", "2026-07-31T12:00:00Z", "2026-08-03T09:00:00.000Z"], // Sat 1st → Mon 3rd, not July
    ["0 0 9 31W * ? *", "2026-04-01T00:00:00Z", "2026-05-29T09:00:00.000Z"], // no 31st in April
    ["0 0 9 LW * ? *", "2026-01-01T00:00:00Z", "2026-01-30T09:00:00.000Z"], // the 31st is a Saturday
    ["0 0 9 1W * ? *", "2026-02-01T00:00:00Z", "2026-02-02T09:00:00.000Z"], // Sun 1st → Mon 2nd
    ["0 0 9 31W * ? *", "2026-05-01T00:00:00Z", "2026-05-29T09:00:00.000Z"], // last day and a Sunday → Fri
    ["0 0 9 ? * 5L *", "2026-11-01T00:00:00Z", "2026-11-27T09:00:00.000Z"],
    ["0 0 9 ? * FRIL *", "2026-11-01T00:00:00Z", "2026-11-27T09:00:00.000Z"],
    ["0 0 9 ? * MON#2 *", "2026-12-01T00:00:00Z", "2026-12-14T09:00:00.000Z"],
    ["0 0 9 ? * 1#5 *", "2026-01-01T00:00:00Z", "2026-03-30T09:00:00.000Z"], // the first month with five Mondays
    ["0 0 0 ? * L *", "2026-11-27T01:00:00Z", "2026-11-28T00:00:00.000Z"], // weekday L = Saturday
    ["0 0 0 ? * MON-WED *", "2026-11-27T01:00:00Z", "2026-11-30T00:00:00.000Z"], // names with W/L stay names
  ])("%s after %s fires at %s", (expr, after, expected) => {
    expect(next(expr, after)).toBe(expected);
  });

  it("returns undefined when the years run out", () => {
    expect(next("0 0 0 1 1 * 2020", "2024-01-01T00:00:00Z")).toBeUndefined();
  });

  it.each([
    ["*/5 * * * *", /expected 7 fields .* got 5; the legacy 5-field form/],
    ["0 0 24 * * * *", /hour field "24": 24 is out of range 0-23/],
    ["60 * * * * * *", /second field "60": 60 is out of range 0-59/],
    ["0 0 0 0 * * *", /day field "0": 0 is out of range 1-31/],
    ["0 0 0 * 13 * *", /month field "13": 13 is out of range 1-12/],
    ["0 0 0 * * 7 *", /weekday field "7": 7 is out of range 0-6/],
    ["0 0 0 * * * 1969", /year field "1969": 1969 is out of range 1970-2099/],
    ["0 0 L * * ? *", /hour field "L": "L": L, W and # are only allowed in the day and weekday fields/],
    ["0 0 0 * 2#1 ? *", /month field "2#1": .*only allowed in the day and weekday fields/],
    ["0 0 0 32W * ? *", /day field "32W": 32W: the day must be 1-31/],
    ["0 0 0 L-31 * ? *", /day field "L-31": L-31: at most L-30/],
    ["0 0 0 ? * MON#6 *", /weekday field "MON#6": MON#6: the occurrence after # must be 1-5/],
    ["0 0 0 ? * 8L *", /weekday field "8L": 8 is out of range 0-6/],
    ["0 0 0 30W 2 ? *", /never fires/],
    ["0 0 0 ? FEB 1#5 2025", /never fires/],
    ["0 0 9 L,15 * ? *", /day field "L,15": "L": L, W and # cannot be combined with other values in a list/],
    ["0 0 9 ? * MON#2,FRI#4 *", /weekday field "MON#2,FRI#4": "MON#2": L, W and # cannot be combined/],
    ["0 0 9 L-3W * ? *", /day field "L-3W": "L-3W" is not L, L-n, LW or nW/],
    ["0 0 9 W * ? *", /day field "W": "W" is not L, L-n, LW or nW/],
    ["? 0 0 * * * *", /second field "\?": \? is only allowed in the day and weekday fields/],
    ["0 0 10-2 * * * *", /hour field "10-2": range 10-2 runs backwards/],
    ["0 */0 * * * * *", /minute field "\*\/0": step must be at least 1/],
    ["0 0 0 * FOO * *", /month field "FOO": "FOO" is neither a number nor one of JAN-DEC/],
    ["0 0 0 * * xyz *", /weekday field "xyz": "xyz" is neither a number nor one of SUN-SAT/],
    ["0 1,,2 * * * * *", /minute field "1,,2": empty list element/],
    ["0 a * * * * *", /minute field "a": "a" is not a number/],
    ["0 0 0 31 2 ? *", /never fires: no date matches day 31, month 2/],
    ["0 0 0 30,31 FEB ? *", /never fires/],
    ["0 0 12 31 4,6,9,11 ? 2030-2040", /never fires/],
  ])("refuses %s", (expr, reason) => {
    expect(() => parseCron(expr)).toThrowError(CronError);
    expect(() => parseCron(expr)).toThrowError(reason);
  });
});

describe("nextFireAt (SCF's clock, UTC+8)", () => {
  it("reads the cron on Beijing time: 01:00 there is 17:00 UTC the day before", () => {
    const daily = parseCron("0 0 1 * * * *");
    expect(nextFireAt(daily, at("2024-06-30T18:00:00Z"), SCF_CRON_UTC_OFFSET_HOURS)?.toISOString()).toBe("2024-07-01T17:00:00.000Z");
    expect(nextFireAt(daily, at("2024-06-30T18:00:00Z"), 0)?.toISOString()).toBe("2024-07-01T01:00:00.000Z");
  });
  it("keeps day and weekday rules on that clock: Monday 02:00 in Beijing is Sunday 18:00 UTC", () => {
    expect(nextFireAt(parseCron("0 0 2 ? * MON *"), at("2024-07-01T00:00:00Z"), 8)?.toISOString()).toBe("2024-07-07T18:00:00.000Z");
  });
});
