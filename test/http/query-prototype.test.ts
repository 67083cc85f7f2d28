// Query parameters named like Object.prototype's members (issue 18): `?toString=1`,
// `?constructor=1`, `?__proto__=x`, `?hasOwnProperty=1` are ordinary unknown parameters in both
// trigger shapes. Refused by a strict query schema at `query.<name>`, ignored by the others, never a
// `400 bad_event`, and no prototype is touched. The events are JSON-parsed, as SCF hands them over
// (JSON.parse makes `__proto__` an own member; an object literal would not).
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { makeHandler as makeJobsHandler } from "../../functions/jobs/entry";
import { makeHttpHandler, parseApiKeys, queryInt, type Route, route } from "../../shared/http";
import { memoryLogger } from "../../shared/log";
import apigwCaptured from "../fixtures/apigw-captured-style.json";
import apigwDocumented from "../fixtures/apigw-documented.json";
import functionUrl from "../fixtures/function-url.json";
import { fakeBatch } from "../jobs/fake-batch";

const KEY = "reader-key-0123456789abcdef";
const KEYS = parseApiKeys(`reader:${KEY}:jobs:read`);
const NAMES = ["toString", "constructor", "__proto__", "hasOwnProperty", "valueOf", "isPrototypeOf", "__defineGetter__"] as const;
const VALUES: ReadonlyArray<string | string[] | true> = ["1", "x", ["a", "b"], true];

const protoBefore = Object.getOwnPropertyNames(Object.prototype).sort();
const arrayProtoBefore = Object.getOwnPropertyNames(Array.prototype).sort();
afterAll(() => {
  // Nothing reached a shared prototype.
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoBefore);
  expect(Object.getOwnPropertyNames(Array.prototype).sort()).toEqual(arrayProtoBefore);
  expect(({} as Record<string, unknown>).x).toBeUndefined();
});

type Shape = "function-url" | "apigw-documented" | "apigw-captured" | "apigw-parameters-only";
const SHAPES: Shape[] = ["function-url", "apigw-documented", "apigw-captured", "apigw-parameters-only"];

/** `{"<name>": value}` as JSON text parsed, so `__proto__` is an own member as in a real event. */
const queryOf = (name: string, value: string | string[] | true): Record<string, unknown> =>
  JSON.parse(`{${JSON.stringify(name)}: ${JSON.stringify(value)}, "limit": "5"}`) as Record<string, unknown>;

/** A GET of `path` in one of the trigger shapes (from the fixtures), carrying `query` and the key. */
function event(shape: Shape, path: string, query: Record<string, unknown>): unknown {
  const base = shape === "function-url" ? functionUrl : shape === "apigw-documented" ? apigwDocumented : apigwCaptured;
  const e = JSON.parse(JSON.stringify(base)) as Record<string, unknown> & { headers: Record<string, string> };
  for (const h of Object.keys(e.headers)) if (h.toLowerCase() === "authorization") delete e.headers[h];
  e.headers.authorization = `Bearer ${KEY}`;
  e.httpMethod = "GET";
  e.path = path;
  e.body = "";
  if (shape === "function-url") e.queryString = query;
  else if (shape === "apigw-parameters-only") {
    // An API Gateway event with queryStringParameters only (the request falls back to them).
    delete e.queryString;
    e.queryStringParameters = query;
  } else {
    e.queryString = query;
    e.queryStringParameters = query;
  }
  // Through JSON once more, as SCF delivers it: the query's own `__proto__` member survives.
  return JSON.parse(JSON.stringify(e));
}

function setup() {
  const seen: Array<{ prototype: unknown; keys: string[]; own: Record<string, unknown>; toString: unknown }> = [];
  const routes: Route[] = [
    route({
      method: "GET",
      path: "/strict",
      scope: "jobs:read",
      query: z.strictObject({ limit: queryInt(1, 100) }),
      handler: ({ query }) => ({ status: 200, body: { query } }),
    }),
    route({
      method: "GET",
      path: "/stripped",
      scope: "jobs:read",
      query: z.object({ limit: queryInt(1, 100) }),
      handler: ({ query }) => ({ status: 200, body: { query, prototype: Object.getPrototypeOf(query) === Object.prototype } }),
    }),
    route({
      method: "GET",
      path: "/raw",
      scope: "jobs:read",
      handler: ({ req }) => {
        seen.push({ prototype: Object.getPrototypeOf(req.query), keys: Object.keys(req.query), own: { ...req.query }, toString: req.query.toString });
        return { status: 200, body: {} };
      },
    }),
  ];
  const handler = makeHttpHandler({ routes, keys: KEYS, logger: memoryLogger() });
  return {
    seen,
    call: async (e: unknown) => {
      const r = await handler(e);
      return { status: r.statusCode, json: JSON.parse(r.body) as Record<string, unknown> };
    },
  };
}

describe.each(SHAPES)("makeHttpHandler, %s event", (shape) => {
  const { call, seen } = setup();

  it.each(NAMES)("?%s= on a strict query: 400 validation_failed at query.<name>, never bad_event", async (name) => {
    for (const value of VALUES) {
      const r = await call(event(shape, "/strict", queryOf(name, value)));
      expect(r.status).toBe(400);
      expect(r.json.code).toBe("validation_failed");
      expect(r.json.errors).toEqual([{ path: `query.${name}`, message: "unknown field" }]);
    }
  });

  it.each(NAMES)("?%s= on a query that is not strict: ignored, the known parameter read", async (name) => {
    for (const value of VALUES) {
      const r = await call(event(shape, "/stripped", queryOf(name, value)));
      expect(r.status).toBe(200);
      expect(r.json).toEqual({ query: { limit: 5 }, prototype: true });
    }
  });

  it.each(NAMES)("?%s= without a query schema: an own member of a query without a prototype", async (name) => {
    seen.length = 0;
    const r = await call(event(shape, "/raw", queryOf(name, "x")));
    expect(r.status).toBe(200);
    expect(seen[0]?.prototype).toBeNull();
    expect(seen[0]?.keys.sort()).toEqual([name, "limit"].sort());
    expect(Object.getOwnPropertyDescriptor(seen[0]?.own, name)?.value).toBe("x");
  });

  it("a query with none of them inherits nothing either: req.query.toString is undefined", async () => {
    seen.length = 0;
    await call(event(shape, "/raw", { limit: "5" }));
    expect(seen[0]?.prototype).toBeNull();
    expect(seen[0]?.toString).toBeUndefined();
    expect(seen[0]?.keys).toEqual(["limit"]);
  });
});

describe.each(SHAPES)("the jobs function, %s event", (shape) => {
  it.each(NAMES)("GET /jobs?%s=…: 200, the unknown parameter sends no filter to Batch", async (name) => {
    for (const value of VALUES) {
      const fake = fakeBatch();
      const handler = makeJobsHandler({ batch: fake.port, region: "ap-guangzhou", keys: KEYS, logger: memoryLogger() });
      const r = await handler(event(shape, "/jobs", queryOf(name, value)));
      expect(r.statusCode).toBe(200);
      expect(JSON.parse(r.body)).toMatchObject({ Jobs: [], TotalCount: 0, Limit: 5 });
      expect(fake.calls).toEqual([{ action: "DescribeJobs", req: { offset: 0, limit: 5 } }]);
    }
  });
});
