// Fuzzing helpers for the hardening suites: run counts from FUZZ_RUNS, SCF HTTP events built from
// the fixtures (both shapes), hostile values, mutations of a valid body, and the checks every
// answer must pass (never a 5xx; 4xx are problem+json naming the field).
import fc from "fast-check";
import { expect } from "vitest";
import apigwCaptured from "../fixtures/apigw-captured-style.json";
import apigwDocumented from "../fixtures/apigw-documented.json";
import functionUrl from "../fixtures/function-url.json";

/** Runs per property: FUZZ_RUNS when set (the 10,000-case fuzz run), else `small` (npm test). */
export function fuzzRuns(small: number): number {
  const raw = process.env.FUZZ_RUNS;
  if (raw === undefined || raw === "") return small;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`FUZZ_RUNS must be a positive integer, got ${raw}`);
  return n;
}

/** A per-test timeout that grows with the run count (about `msPerRun` each, at least 30 s). */
export const timeoutFor = (runs: number, msPerRun = 20) => Math.max(30_000, runs * msPerRun);

/** A fixed seed when FUZZ_SEED is set, to replay a failure fast-check printed. */
export function fuzzParams(numRuns: number): fc.Parameters<unknown> {
  const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
  return { numRuns, ...(seed !== undefined && Number.isFinite(seed) ? { seed } : {}), endOnFailure: true };
}

export type EventShape = "apigw-captured" | "apigw-documented" | "function-url";
export const EVENT_SHAPES: EventShape[] = ["apigw-captured", "apigw-documented", "function-url"];

export type QueryValue = string | string[] | true;

export interface HttpCall {
  method: string;
  path: string;
  query?: Record<string, QueryValue>;
  headers?: Record<string, string>;
  /** A string body, or any value (some gateways hand over parsed JSON). */
  body?: unknown;
  isBase64Encoded?: boolean;
}

type Json = Record<string, unknown>;

/** An SCF HTTP event: a fixture cloned, the request's fields replaced. */
export function httpEvent(shape: EventShape, call: HttpCall): Json {
  const fixture = shape === "function-url" ? functionUrl : shape === "apigw-captured" ? apigwCaptured : apigwDocumented;
  const e = structuredClone(fixture) as Json & { headers: Record<string, string> };
  e.httpMethod = call.method;
  e.path = call.path;
  const headers: Record<string, string> = {};
  // The fixtures carry a placeholder Authorization (in either case): the call says which to send.
  for (const [k, v] of Object.entries(e.headers)) if (k.toLowerCase() !== "authorization") headers[k] = v;
  e.headers = { ...headers, ...(call.headers ?? {}) };
  e.body = call.body === undefined ? "" : call.body;
  e.isBase64Encoded = call.isBase64Encoded ?? false;
  e.queryString = call.query ?? {};
  if (shape !== "function-url") {
    e.queryStringParameters = call.query ?? {};
    e.pathParameters = {};
    const rc = e.requestContext as Json;
    rc.httpMethod = call.method;
    rc.requestId = `fuzz-${Math.random().toString(36).slice(2)}`;
  }
  return e;
}

// ── hostile values ──────────────────────────────────────────────────────────────────────

const NASTY_STRINGS = [
  "",
  " ",
  "..",
  "../../etc/passwd",
  "%2e%2e%2f",
  "%00",
  "\u0000",
  "\uffff",
  "\ud800",
  "💥",
  "<script>alert(1)</script>",
  "' OR 1=1 --",
  ["$", "{jndi:ldap://x}"].join(""),
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "NaN",
  "Infinity",
  "-1",
  "1e309",
  "0x10",
  "true",
  "null",
  "job-",
  "job-aaaaaaaa",
  "env-",
  "env-aaaaaaaa",
  "node-aaaaaaaa",
  "=cmd|' /C calc'!A0",
  "a".repeat(300),
  "\r\nX-Injected: 1",
];

export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }) },
);

const nastyNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, -1, 1, 1.5, -0, 2 ** 31, 2 ** 53 + 2, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1e308, 5e-324),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Any JSON value, with hostile strings and numbers mixed in. */
export const nastyJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    nastyString,
    nastyNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(fc.oneof(nastyString, fc.constantFrom("__proto__", "constructor")), tie("value"), { maxKeys: 5 }),
  ),
})).value;

// ── mutations of a valid value ──────────────────────────────────────────────────────────

type PathSeg = string | number;

function pathsOf(v: unknown, at: PathSeg[] = [], out: PathSeg[][] = []): PathSeg[][] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => void pathsOf(x, [...at, i], out));
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) pathsOf(x, [...at, k], out);
  return out;
}

export type Mutation =
  | { kind: "delete" }
  | { kind: "replace"; value: unknown }
  | { kind: "wrap" }
  | { kind: "stringify" }
  | { kind: "extra"; key: string; value: unknown }
  | { kind: "repeat"; times: number }
  | { kind: "huge" };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constant<Mutation>({ kind: "delete" }),
  nastyJson.map<Mutation>((value) => ({ kind: "replace", value })),
  fc.constant<Mutation>({ kind: "wrap" }),
  fc.constant<Mutation>({ kind: "stringify" }),
  fc.tuple(nastyString, nastyJson).map<Mutation>(([key, value]) => ({ kind: "extra", key, value })),
  fc.integer({ min: 2, max: 300 }).map<Mutation>((times) => ({ kind: "repeat", times })),
  fc.constant<Mutation>({ kind: "huge" }),
);

function apply(value: unknown, m: Mutation): unknown {
  switch (m.kind) {
    case "delete":
      return undefined;
    case "replace":
      return m.value;
    case "wrap":
      return [value];
    case "stringify":
      return typeof value === "string" ? Number(value) : JSON.stringify(value);
    case "extra":
      return value && typeof value === "object" && !Array.isArray(value) ? { ...value, [m.key]: m.value } : value;
    case "repeat":
      return Array.isArray(value) ? Array.from({ length: m.times }, (_, i) => value[i % Math.max(1, value.length)]) : value;
    case "huge":
      if (typeof value !== "string") return value;
      return value.length >= 100_000 ? value : (value || "x").repeat(Math.ceil(100_000 / Math.max(1, value.length))).slice(0, 100_000);
  }
}

function setAt(root: unknown, path: PathSeg[], m: Mutation): unknown {
  if (path.length === 0) return apply(root, m);
  const copy = structuredClone(root) as Record<PathSeg, unknown>;
  let parent: Record<PathSeg, unknown> = copy;
  for (const seg of path.slice(0, -1)) parent = parent[seg] as Record<PathSeg, unknown>;
  const last = path[path.length - 1]!;
  const next = apply(parent[last], m);
  if (next === undefined) {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  } else parent[last] = next;
  return copy;
}

/** 1-3 mutations, each at a place chosen by its number (see applyMutations). */
export const mutations: fc.Arbitrary<Array<[number, Mutation]>> = fc.array(fc.tuple(fc.nat(), mutation), { minLength: 1, maxLength: 3 });

/** `value` with the mutations applied (delete, wrong type, hostile value, extra key, oversize). */
export function applyMutations(value: unknown, ms: ReadonlyArray<[number, Mutation]>): unknown {
  let v = structuredClone(value);
  for (const [pick, m] of ms) {
    const paths = pathsOf(v);
    v = setAt(v, paths[pick % paths.length]!, m);
  }
  return v;
}

/** `valid` with 1-3 mutations at random places. */
export const mutated = (valid: unknown): fc.Arbitrary<unknown> => mutations.map((ms) => applyMutations(valid, ms));

export interface BodyCase {
  body: unknown;
  isBase64Encoded: boolean;
  /** What was sent, for the failure message. */
  label: string;
}

/** Bodies: the valid one, mutations of it, any JSON, truncated JSON, base64 (valid or garbled), non-strings. */
export function bodies(valid: unknown): fc.Arbitrary<BodyCase> {
  const text = JSON.stringify(valid);
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant<BodyCase>({ body: text, isBase64Encoded: false, label: "valid" }) },
    { weight: 6, arbitrary: mutated(valid).map<BodyCase>((v) => ({ body: JSON.stringify(v) ?? "", isBase64Encoded: false, label: "mutated" })) },
    { weight: 2, arbitrary: nastyJson.map<BodyCase>((v) => ({ body: JSON.stringify(v), isBase64Encoded: false, label: "json" })) },
    {
      weight: 2,
      arbitrary: fc.nat({ max: Math.max(0, text.length - 1) }).map<BodyCase>((n) => ({ body: text.slice(0, n), isBase64Encoded: false, label: "truncated" })),
    },
    { weight: 1, arbitrary: nastyString.map<BodyCase>((s) => ({ body: s, isBase64Encoded: false, label: "text" })) },
    {
      weight: 1,
      arbitrary: mutated(valid).map<BodyCase>((v) => ({ body: Buffer.from(JSON.stringify(v) ?? "").toString("base64"), isBase64Encoded: true, label: "base64" })),
    },
    { weight: 1, arbitrary: nastyString.map<BodyCase>((s) => ({ body: `${s}!*#`, isBase64Encoded: true, label: "garbled-base64" })) },
    { weight: 1, arbitrary: nastyJson.map<BodyCase>((v) => ({ body: v, isBase64Encoded: false, label: "parsed-value" })) },
    { weight: 1, arbitrary: fc.constant<BodyCase>({ body: "x".repeat(1024 * 1024 + 10), isBase64Encoded: false, label: "oversized" }) },
  );
}

const queryValue: fc.Arbitrary<QueryValue> = fc.oneof(nastyString, fc.array(nastyString, { minLength: 1, maxLength: 4 }), fc.constant<true>(true));

/** A query string: known parameter names (with hostile values) and unknown ones. */
export function queries(known: string[], valid: Record<string, QueryValue> = {}): fc.Arbitrary<Record<string, QueryValue>> {
  const names = known.length ? fc.oneof(fc.constantFrom(...known), nastyString) : nastyString;
  return fc.oneof(
    fc.constant(valid),
    fc.dictionary(names, queryValue, { maxKeys: 4 }).map((q) => ({ ...valid, ...q })),
  );
}

/** Extra headers: content types, idempotency keys, request ids, junk. */
export const extraHeaders: fc.Arbitrary<Record<string, string>> = fc.dictionary(
  fc.oneof(fc.constantFrom("content-type", "idempotency-key", "x-request-id", "x-change-reason", "content-length", "accept", "x-scf-remote-addr"), nastyString),
  nastyString,
  { maxKeys: 4 },
);

export interface ScfAnswer {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded?: boolean;
}

/**
 * What every answer must be: no 5xx; 4xx as application/problem+json with a stable code, the
 * request id, and for validation failures the offending field paths; 2xx as JSON.
 */
export function expectWellFormed(res: ScfAnswer, label: string, opts: { allow5xx?: boolean } = {}): { status: number; json: Json } {
  const ctx = `${label} → ${res.statusCode} ${res.body.slice(0, 400)}`;
  expect(res.statusCode, ctx).toBeGreaterThanOrEqual(200);
  if (!opts.allow5xx) expect(res.statusCode, ctx).toBeLessThan(500);
  const type = res.headers["content-type"] ?? "";
  let json: Json = {};
  if (res.body !== "") {
    json = JSON.parse(res.body) as Json;
  }
  if (res.statusCode >= 400) {
    expect(type, ctx).toBe("application/problem+json");
    expect(json.status, ctx).toBe(res.statusCode);
    expect(typeof json.code, ctx).toBe("string");
    expect(typeof json.detail, ctx).toBe("string");
    expect(json.instance, ctx).toBe(res.headers["x-request-id"]);
    expect(Array.isArray(json.errors), ctx).toBe(true);
    if (json.code === "validation_failed") {
      const errors = json.errors as Array<{ path: unknown; message: unknown }>;
      expect(errors.length, ctx).toBeGreaterThan(0);
      for (const e of errors) {
        expect(typeof e.path, ctx).toBe("string");
        expect(typeof e.message, ctx).toBe("string");
        // The field is named: the empty path stands only for the body itself ("a JSON body is
        // required", "(body): Expected object"); an unknown key has its own path, quoted when odd.
        if (e.path === "") expect(`${e.message} ${String(json.detail)}`, ctx).toMatch(/body/i);
      }
    }
  } else if (res.body !== "") {
    expect(type, ctx).toMatch(/^application\/json/);
  }
  return { status: res.statusCode, json };
}

/** Collects unhandled rejections while `fn` runs; throws if any happened. */
export async function noUnhandledRejections<T>(fn: () => Promise<T>): Promise<T> {
  const seen: unknown[] = [];
  const onRejection = (reason: unknown) => seen.push(reason);
  process.on("unhandledRejection", onRejection);
  try {
    const out = await fn();
    // Let stray promise jobs settle before looking.
    await new Promise((r) => setTimeout(r, 20));
    expect(seen.map(String)).toEqual([]);
    return out;
  } finally {
    process.off("unhandledRejection", onRejection);
  }
}
