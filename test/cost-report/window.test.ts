import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { AppError } from "../../shared/errors";
import { costConfigFromEnv } from "../../functions/cost-report/config";
import { windowForEvent } from "../../functions/cost-report/trigger";
import { daysOf, defaultWindow, monthOf, windowFromQuery } from "../../functions/cost-report/window";

const timer = JSON.parse(readFileSync(new URL("../fixtures/timer.json", import.meta.url), "utf8")) as Record<string, unknown>;
const NOW = Date.parse("2019-02-21T12:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString();

describe("report windows", () => {
  it("defaults to the local day before the timer's Time, in Asia/Shanghai", () => {
    // 2019-02-21T11:49Z is 19:49 on the 21st in Shanghai: report the 20th.
    const { window, source } = windowForEvent(timer, NOW, "Asia/Shanghai");
    expect(source).toBe("timer");
    expect(iso(window.from)).toBe("2019-02-19T16:00:00.000Z");
    expect(iso(window.to)).toBe("2019-02-20T16:00:00.000Z");
  });

  it("shifts the day when the timer fires before local midnight in UTC terms", () => {
    // 2019-02-20T17:00Z is 01:00 on the 21st in Shanghai but still the 20th in UTC.
    const ev = { ...timer, Time: "2019-02-20T17:00:00Z" };
    expect(iso(windowForEvent(ev, NOW, "Asia/Shanghai").window.from)).toBe("2019-02-19T16:00:00.000Z");
    expect(iso(windowForEvent(ev, NOW, "UTC").window.from)).toBe("2019-02-19T00:00:00.000Z");
  });

  it("compares the timer's Type case-insensitively", () => {
    expect(windowForEvent({ ...timer, Type: "timer" }, NOW, "Asia/Shanghai").source).toBe("timer");
  });

  it("takes a backfill window from a JSON Message", () => {
    const ev = { ...timer, Message: JSON.stringify({ from: "2019-01-01", to: "2019-02-01" }) };
    const r = windowForEvent(ev, NOW, "Asia/Shanghai");
    expect(r.source).toBe("timer-message");
    expect(iso(r.window.from)).toBe("2018-12-31T16:00:00.000Z");
    expect(daysOf(r.window)).toHaveLength(31);
  });

  it("falls back to the default day on a bad Message, with a warning instead of a failure", () => {
    for (const Message of ["{not json", JSON.stringify({ from: "2019-02-30", to: "2019-03-01" }), JSON.stringify({ from: "2019-03-01", to: "2019-02-01" }), '{"x":1}']) {
      const r = windowForEvent({ ...timer, Message }, NOW, "Asia/Shanghai");
      expect(r.source).toBe("timer");
      expect(r.warning).toBeTruthy();
      expect(iso(r.window.from)).toBe("2019-02-19T16:00:00.000Z");
    }
  });

  it("accepts an invoke naming {from, to} as instants with a zone", () => {
    const r = windowForEvent({ from: "2019-02-20T00:00:00+08:00", to: "2019-02-20T12:00:00Z" }, NOW, "Asia/Shanghai");
    expect(r.source).toBe("invoke");
    expect(r.window.to - r.window.from).toBe(20 * 3_600_000);
  });

  it("names the field of a bad query", () => {
    expect(() => windowFromQuery({ from: "2019-02-20", to: "yesterday" }, "Asia/Shanghai", NOW)).toThrow(/to: "yesterday"/);
    expect(() => windowFromQuery({ to: "2019-02-20" }, "Asia/Shanghai", NOW)).toThrow(/from: is required/);
    expect(() => windowFromQuery({ from: "2019-02-20T00:00:00", to: "2019-02-21" }, "Asia/Shanghai", NOW)).toThrow(/from:/);
  });

  it("refuses a window that has not started at from, and keeps one that has started but ends later", () => {
    // NOW is 2019-02-21T20:00 in Shanghai.
    const refused = (from: string, to: string) => {
      try {
        windowFromQuery({ from, to }, "Asia/Shanghai", NOW);
      } catch (e) {
        return (e as AppError).issues;
      }
      return undefined;
    };
    const notStarted = [{ path: "from", message: "the window has not started: now is 2019-02-21T20:00:00+08:00" }];
    expect(refused("2019-02-22", "2019-02-23")).toEqual(notStarted);
    expect(refused("2030-01-01", "2030-01-02")?.[0]?.path).toBe("from");
    // Starting exactly now, to the second, nothing of it has passed either.
    expect(refused("2019-02-21T12:00:00Z", "2019-02-22")?.[0]?.message).toMatch(/has not started/);
    expect(refused("2019-02-21T12:00:00.500Z", "2019-02-22")?.[0]?.message).toMatch(/has not started/);
    // One second earlier it has started: counted up to now (the report's countedTo), as before.
    const started = windowFromQuery({ from: "2019-02-21T11:59:59Z", to: "2019-02-22" }, "Asia/Shanghai", NOW);
    expect(iso(started.from)).toBe("2019-02-21T11:59:59.000Z");
    expect(iso(windowFromQuery({ from: "2019-02-21", to: "2019-03-01" }, "Asia/Shanghai", NOW).to)).toBe("2019-02-28T16:00:00.000Z");
  });

  it("a timer never reports a window that has not started: a future Message window or Time falls back, with a warning", () => {
    const future = windowForEvent({ ...timer, Message: JSON.stringify({ from: "2019-02-22", to: "2019-02-23" }) }, NOW, "Asia/Shanghai");
    expect(future.source).toBe("timer");
    expect(future.warning).toMatch(/has not started/);
    expect(iso(future.window.from)).toBe("2019-02-19T16:00:00.000Z");
    // A Time more than a day ahead: its day before has not started; the day before now is reported.
    const ahead = windowForEvent({ ...timer, Time: "2019-02-23T17:00:00Z" }, NOW, "Asia/Shanghai");
    expect(ahead.warning).toMatch(/ahead of now/);
    expect(iso(ahead.window.from)).toBe("2019-02-19T16:00:00.000Z");
    expect(ahead.window.from).toBeLessThan(NOW);
    // A Time a little ahead (its day before has started) is used as always.
    const soon = windowForEvent({ ...timer, Time: "2019-02-21T17:00:00Z" }, NOW, "Asia/Shanghai");
    expect(soon.warning).toBeUndefined();
    expect(iso(soon.window.from)).toBe("2019-02-20T16:00:00.000Z");
    // An invoke naming a future window: refused, yesterday reported.
    const invoke = windowForEvent({ from: "2030-01-01", to: "2030-01-02" }, NOW, "Asia/Shanghai");
    expect(invoke.source).toBe("default");
    expect(invoke.warning).toMatch(/has not started/);
  });

  it("keeps local days whole across a daylight-saving change", () => {
    // Europe/Berlin springs forward on 2019-03-31: that local day has 23 hours.
    const w = defaultWindow(Date.parse("2019-04-01T10:00:00Z"), "Europe/Berlin");
    expect((w.to - w.from) / 3_600_000).toBe(23);
    expect(daysOf(w).map((d) => d.date)).toEqual(["2019-03-31"]);
  });

  it("finds the local calendar month", () => {
    const m = monthOf(Date.parse("2019-02-28T17:00:00Z"), "Asia/Shanghai"); // 1 March 01:00 local
    expect(m.month).toBe("2019-03");
    expect(iso(m.from)).toBe("2019-02-28T16:00:00.000Z");
  });
});

describe("configuration", () => {
  const good = { TENCENTCLOUD_REGION: "ap-guangzhou", COST_REPORT_DEST: "cos://reports-1250000000.cos.ap-guangzhou.myqcloud.com/cost/" };

  it("parses a minimal environment with the documented defaults", () => {
    const c = costConfigFromEnv(good);
    expect(c.timeZone).toBe("Asia/Shanghai");
    expect(c.prices.types["BS1.LARGE8"]).toEqual({ perHour: 0.36 });
    expect(c.idleAlertHours).toBe(24);
  });

  it("names the variable and the field that break a rule", () => {
    expect(() => costConfigFromEnv({ ...good, COST_REPORT_DEST: "cos://reports-1250000000.cosgz.myqcloud.com/cost/" })).toThrow(/COST_REPORT_DEST: .*XML-API domain/);
    expect(() => costConfigFromEnv({ ...good, COST_PRICES: '{"types":{"BS1.LARGE8":{"perHour":-1}}}' })).toThrow(/COST_PRICES\.types\.BS1\.LARGE8\.perHour/);
    expect(() => costConfigFromEnv({ ...good, COST_BUDGETS: '{"tags":{"alice":{"monthly":5}}}' })).toThrow(/COST_BUDGETS\.tags\.alice/);
    expect(() => costConfigFromEnv({ ...good, REPORT_TIME_ZONE: "Mars/Olympus" })).toThrow(/REPORT_TIME_ZONE/);
    expect(() => costConfigFromEnv({ ...good, IDLE_ALERT_HOURS: "soon" })).toThrow(/IDLE_ALERT_HOURS/);
  });
});
