import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { hasScope, parseApiKeys, toJsonSchema } from "../../shared/http";
import { createRouter } from "../../shared/http/router";

const K = "k0123456789abcdef";

describe("parseApiKeys", () => {
  it.each([
    [`ci:${K}`, [{ name: "ci", scopes: [] }]],
    [` ci:${K} , app:${K}x:jobs:read `, [{ name: "ci", scopes: [] }, { name: "app", scopes: ["jobs:read"] }]],
    [`app:${K}:jobs:read|jobs:write`, [{ name: "app", scopes: ["jobs:read", "jobs:write"] }]],
    [`ops:${K}:jobs:*|envs:read`, [{ name: "ops", scopes: ["jobs:*", "envs:read"] }]],
  ])("accepts %s", (raw, principals) => {
    const ring = parseApiKeys(raw);
    expect(ring.error).toBeUndefined();
    expect(ring.size).toBe(principals.length);
    const keys = raw.split(",").map((e) => e.trim().split(":")[1]!);
    expect(keys.map((key) => ring.verify(key))).toEqual(principals);
  });

  it.each([
    ["", /empty/],
    ["   ", /empty/],
    [`noseparator${K}`, /entry 1: expected name:key/],
    [`ci:short`, /entry 1: the key must be 16-256/],
    [`ci:${K}:JOBS`, /scopes look like/],
    [`ci:${K}:jobs:read|`, /scopes look like/],
    [`ci:${K},ci:${K}y`, /entry 2: its name is the same as entry 1's/],
    [`ci:${K},app:${K}`, /entry 2: the key is the same/],
    // The name left out: what stands in the name's place is a key, and must not be echoed.
    [`${K}:jobs:read`, /entry 1: the key must be 16-256/],
    [`bad name:${K}`, /entry 1: the name/],
  ])("refuses %j", (raw, why) => {
    const ring = parseApiKeys(raw);
    expect(ring.error).toMatch(why);
    expect(ring.size).toBe(0);
    expect(ring.error).not.toContain(K);
    expect(ring.verify(K)).toBeUndefined();
  });

  it("never accepts a key that is not configured (property)", () => {
    const ring = parseApiKeys(`a:${K},b:${K}z`);
    fc.assert(
      fc.property(fc.string({ minLength: 0, maxLength: 40 }), (s) => {
        const p = ring.verify(s);
        return s === K || s === `${K}z` ? p !== undefined : p === undefined;
      }),
    );
  });

  it("scopes: none = all, exact, prefix wildcard", () => {
    expect(hasScope({ name: "a", scopes: [] }, "jobs:write")).toBe(true);
    expect(hasScope({ name: "a", scopes: ["jobs:read"] }, "jobs:write")).toBe(false);
    expect(hasScope({ name: "a", scopes: ["jobs:*"] }, "jobs:write")).toBe(true);
    expect(hasScope({ name: "a", scopes: ["jobs:*"] }, "envs:write")).toBe(false);
    expect(hasScope({ name: "a", scopes: ["*"] }, "envs:write")).toBe(true);
  });
});

describe("router", () => {
  const r = createRouter(
    [
      { method: "GET", path: "/jobs" },
      { method: "POST", path: "/jobs" },
      { method: "GET", path: "/jobs/{JobId}" },
      { method: "POST", path: "/jobs/{JobId}/terminate" },
    ],
    { basePath: "/batch" },
  );
  it.each([
    ["GET", "/jobs", "/jobs", {}],
    ["GET", "/jobs/", "/jobs", {}],
    ["GET", "/jobs/job-1", "/jobs/{JobId}", { JobId: "job-1" }],
    ["GET", "/release/jobs/job-1", "/jobs/{JobId}", { JobId: "job-1" }],
    ["GET", "/batch/jobs/job-1", "/jobs/{JobId}", { JobId: "job-1" }],
    ["GET", "/release/batch/jobs", "/jobs", {}],
    ["POST", "/jobs/job%2D1/terminate", "/jobs/{JobId}/terminate", { JobId: "job-1" }],
    ["post", "/jobs", "/jobs", {}],
  ])("%s %s → %s", (method, path, template, params) => {
    const m = r.match(method, path);
    expect(m.route.path).toBe(template);
    expect(m.params).toEqual(params);
  });

  it.each([
    ["GET", "/nope", 404],
    ["GET", "/jobs/job-1/terminate", 405],
    ["DELETE", "/jobs", 405],
    ["GET", "/other/jobs", 404],
  ])("%s %s → %i", (method, path, status) => {
    expect(() => r.match(method, path)).toThrow(expect.objectContaining({ status }));
  });
});

describe("toJsonSchema", () => {
  it.each<[string, z.ZodTypeAny, Record<string, unknown>]>([
    ["string checks", z.string().min(1).max(60).regex(/^job-[a-z0-9]{8}$/), { type: "string", minLength: 1, maxLength: 60, pattern: "^job-[a-z0-9]{8}$" }],
    ["int range", z.number().int().min(0).max(100), { type: "integer", minimum: 0, maximum: 100 }],
    ["enum", z.enum(["CMQ", "TDMQ_CMQ"]), { type: "string", enum: ["CMQ", "TDMQ_CMQ"] }],
    ["literal", z.literal("LOCAL"), { const: "LOCAL", type: "string" }],
    ["union", z.union([z.string(), z.number()]), { anyOf: [{ type: "string" }, { type: "number" }] }],
    ["nullable", z.string().nullable(), { anyOf: [{ type: "string" }, { type: "null" }] }],
    ["record", z.record(z.string(), z.number()), { type: "object", additionalProperties: { type: "number" } }],
    ["array bounds", z.array(z.string()).max(10), { type: "array", items: { type: "string" }, maxItems: 10 }],
    ["refinement = inner", z.string().refine((s) => s.endsWith("/")), { type: "string" }],
    ["default", z.number().default(1), { type: "number", default: 1 }],
    ["description", z.string().describe("the id"), { type: "string", description: "the id" }],
    [
      "object: required, optional, strict",
      z.object({ a: z.string(), b: z.number().optional(), c: z.string().nullish() }).strict(),
      { type: "object", properties: { a: { type: "string" }, b: { type: "number" }, c: { anyOf: [{ type: "string" }, { type: "null" }] } }, required: ["a"], additionalProperties: false },
    ],
    ["passthrough object", z.object({}).passthrough(), { type: "object", properties: {} }],
  ])("%s", (_, schema, json) => {
    expect(toJsonSchema(schema)).toEqual(json);
  });
});

describe("parseJsonBody", () => {
  it("refuses a body nested deeper than 64 levels with 400 malformed_json (no stack overflow later)", async () => {
    const { parseJsonBody } = await import("../../shared/http");
    const deep = `{"Job":${"[".repeat(200_000)}${"]".repeat(200_000)}}`;
    expect(() => parseJsonBody(deep)).toThrow(expect.objectContaining({ code: "malformed_json", status: 400 }));
    // Brackets inside strings do not count.
    expect(parseJsonBody(`{"Command":"${"[".repeat(100)}"}`)).toEqual({ Command: "[".repeat(100) });
  });

  it("drops null members (not array items) and names every prototype key with its path, in document order", async () => {
    const { parseJsonBody } = await import("../../shared/http");
    expect(parseJsonBody('{"a":null,"b":[null,{"c":null,"d":1}],"e":{"f":null}}')).toEqual({ b: [null, { d: 1 }], e: {} });
    const body = '{"Job":{"Tasks":[{"constructor":1},{"x":{"prototype":{}}}]},"__proto__":{"y":1}}';
    try {
      parseJsonBody(body);
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ code: "validation_failed", status: 400 });
      expect((e as { issues: unknown }).issues).toEqual([
        { path: "Job.Tasks[0].constructor", message: "constructor is not accepted as a member name" },
        { path: "Job.Tasks[1].x.prototype", message: "prototype is not accepted as a member name" },
        { path: "__proto__", message: "__proto__ is not accepted as a member name" },
      ]);
    }
  });
});
