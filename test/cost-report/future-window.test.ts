// A cost window that has not started (issue 18): GET /costs refuses it (400 at `from`, before
// any Batch call) and the timer never writes it; a window that has started but ends later is
// answered as before, counted up to now with the month's run-rate projection. And GET /costs
// takes `?toString=1` and friends as unknown parameters (ignored), in both trigger shapes.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NO_BUDGETS } from "../../functions/cost-report/budgets";
import { makeHandler as makeTimerHandler } from "../../functions/cost-report/handler";
import type { CostReport } from "../../functions/cost-report/model";
import { costsRoutes } from "../../functions/cost-report/routes";
import { localDate } from "../../functions/cost-report/window";
import type { BatchPort } from "../../shared/batch/port";
import { makeHttpHandler, parseApiKeys } from "../../shared/http";
import { memoryLogger } from "../../shared/log";
import { buildPriceTable } from "../../shared/prices";
import { costHistory, TZ } from "../support/cost-history";
import { startTestEmulator, type TestEmulator } from "../support/emulator";

const DAY = 86_400_000;
const KEY = "reader-key-0123456789";
const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8")) as Record<string, unknown>;
const apigw = fixture("apigw-captured-style.json");
const functionUrl = fixture("function-url.json");
const timer = fixture("timer.json");
const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

let t: TestEmulator;
const now = Date.now();
const calls: string[] = [];
/** The emulator's port, counting the calls made through it. */
let port: BatchPort;
const config = { prices: buildPriceTable(), budgets: NO_BUDGETS, idleAlertHours: 0, timeZone: TZ };

beforeAll(async () => {
  t = await startTestEmulator({ exec: false });
  const res = await fetch(`${t.emu.url}/_emulator/state`, { method: "PUT", body: JSON.stringify(costHistory(now).state) });
  expect(res.status).toBe(200);
  port = new Proxy(t.port, {
    get: (target, name, receiver) => {
      const v = Reflect.get(target, name, receiver);
      if (typeof v !== "function") return v;
      return (...args: unknown[]) => {
        calls.push(String(name));
        return v.apply(target, args);
      };
    },
  });
});
afterAll(() => t?.stop());

/** GET /costs in one of the trigger shapes, the query as JSON text parsed (as SCF hands it over). */
async function getCosts(query: Record<string, unknown>, shape: "apigw" | "function-url" = "apigw") {
  const handler = makeHttpHandler({
    routes: costsRoutes({ batch: port, config, clock: () => new Date(now) }),
    keys: parseApiKeys(`reader:${KEY}:envs:read`),
    logger: memoryLogger(),
  });
  const base = JSON.parse(JSON.stringify(shape === "apigw" ? apigw : functionUrl)) as Record<string, unknown> & { headers: Record<string, string> };
  const q = JSON.parse(JSON.stringify(query)) as Record<string, unknown>;
  const event = {
    ...base,
    httpMethod: "GET",
    body: "",
    headers: { ...base.headers, authorization: `Bearer ${KEY}` },
    path: "/costs",
    queryString: q,
    ...(shape === "apigw" ? { queryStringParameters: q, pathParameters: {}, requestContext: { ...(base.requestContext as object), path: "/costs" } } : {}),
  };
  const r = await handler(JSON.parse(JSON.stringify(event)));
  const json = r.headers["content-type"]?.includes("json") ? (JSON.parse(r.body) as Record<string, unknown>) : {};
  return { status: r.statusCode, body: r.body, json };
}

const today = localDate(now, TZ);
const tomorrow = localDate(now + DAY, TZ);
const dayAfter = localDate(now + 2 * DAY, TZ);

describe("GET /costs with a window that has not started", () => {
  it.each([
    ["tomorrow", tomorrow, dayAfter],
    ["next year", localDate(now + 400 * DAY, TZ), localDate(now + 401 * DAY, TZ)],
    ["an instant a minute ahead", new Date(now + 60_000).toISOString(), new Date(now + 3_600_000).toISOString()],
  ])("%s: 400 at from, saying it has not started, before any Batch call", async (_what, from, to) => {
    calls.length = 0;
    const r = await getCosts({ from, to });
    expect(r.status).toBe(400);
    expect(r.json.code).toBe("validation_failed");
    expect(r.json.errors).toEqual([{ path: "from", message: expect.stringMatching(/^the window has not started: now is \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/) }]);
    expect(calls).toEqual([]);
  });

  it("a window that has started and ends later is answered as before: counted up to now, the month projected at the rate so far", async () => {
    calls.length = 0;
    const r = await getCosts({ from: today, to: dayAfter });
    expect(r.status).toBe(200);
    const report = r.json as unknown as CostReport;
    expect(report.window.countedTo).toBe(isoSeconds(Math.floor(now / 1000) * 1000));
    expect(report.window.days).toEqual([today, tomorrow]);
    expect(report.month.projectedCost).toBeGreaterThanOrEqual(report.month.actualCost);
    expect(calls.length).toBeGreaterThan(0);
  }, 20_000);
});

describe("the timer never writes a window that has not started", () => {
  const run = async (event: unknown) => {
    const keys: string[] = [];
    const logger = memoryLogger({ function: "cost-report" });
    const handler = makeTimerHandler({
      config,
      batch: port,
      store: {
        put: async (key) => {
          keys.push(key);
          return { location: `mem://${key}` };
        },
      },
      alerter: { send: async () => {} },
      logger,
      clock: () => new Date(now),
    });
    const out = await handler(event, { request_id: "req-future" });
    return { out, keys, logger };
  };
  const yesterday = localDate(now - DAY, TZ);

  it("a Message naming tomorrow: refused and logged, yesterday's report written instead", async () => {
    const { out, keys } = await run({ ...timer, Time: new Date(now).toISOString(), Message: JSON.stringify({ from: tomorrow, to: dayAfter }) });
    expect(out.warning).toMatch(/has not started/);
    expect(keys.every((k) => k.startsWith(`${yesterday}/`))).toBe(true);
    expect(keys.some((k) => k.includes(tomorrow))).toBe(false);
  }, 20_000);

  it("a Time days ahead of the clock: the day before now is written, with a warning", async () => {
    const { out, keys } = await run({ ...timer, Time: new Date(now + 3 * DAY).toISOString() });
    expect(out.warning).toMatch(/ahead of now/);
    expect(out.window.to <= isoSeconds(now + DAY)).toBe(true);
    expect(keys.every((k) => k.startsWith(`${yesterday}/`))).toBe(true);
  }, 20_000);
});

describe("GET /costs with parameters named like Object.prototype's members", () => {
  it.each(["apigw", "function-url"] as const)("%s event: ignored, the report answered (never 400 bad_event)", async (shape) => {
    const from = localDate(now - DAY, TZ);
    for (const name of ["toString", "constructor", "__proto__", "hasOwnProperty", "valueOf"]) {
      const query = JSON.parse(`{"from": "${from}", "to": "${today}", "format": "csv", ${JSON.stringify(name)}: "1"}`) as Record<string, unknown>;
      const r = await getCosts(query, shape);
      expect({ name, status: r.status }).toEqual({ name, status: 200 });
      expect(r.body.split("\r\n")[0]).toMatch(/^date,env_id,/);
    }
  }, 30_000);
});
