// Issue 18's contract gaps, refused by our own checks with a field path before any Batch call:
// tag filters of the list queries (shared/schemas/tags.ts) and storage paths that escape their
// folder through percent-encoding (shared/schemas/paths.ts), used by jobs and envs alike.
import { describe, expect, it } from "vitest";
import { makeHandler as makeEnvsHandler } from "../../functions/envs/entry";
import { makeHandler as makeJobsHandler } from "../../functions/jobs/entry";
import { listFilters } from "../../functions/jobs/views";
import type { BatchPort } from "../../shared/batch/port";
import { EnvPolicySchema } from "../../shared/env-policy";
import { parseApiKeys } from "../../shared/http";
import { memoryLogger } from "../../shared/log";
import { priceTableFromEnv } from "../../shared/prices";
import { LIMITS } from "../../shared/schemas/limits";
import { checkCfsPath, checkCosFile, checkCosPath, checkRemotePath } from "../../shared/schemas/paths";
import { parseTagFilter, TAG_KEY_MAX, TAG_VALUE_MAX, tagFilterToBatch } from "../../shared/schemas/tags";
import functionUrl from "../fixtures/function-url.json";
import documentedExample from "../fixtures/submit-job-documented.json";
import { fakeBatch } from "../jobs/fake-batch";

const KEY = "writer-key-0123456789abcdef";
const KEYS = parseApiKeys(`app:${KEY}`);

/** A Function URL event (the fixture) for one request; `query` as JSON text parsed, as SCF hands it over. */
function event(method: string, path: string, opts: { query?: Record<string, unknown>; body?: unknown } = {}) {
  const e = JSON.parse(JSON.stringify(functionUrl)) as Record<string, unknown> & { headers: Record<string, string> };
  e.httpMethod = method;
  e.path = path;
  e.headers.authorization = `Bearer ${KEY}`;
  e.queryString = opts.query ?? {};
  e.body = opts.body === undefined ? "" : JSON.stringify(opts.body);
  return e;
}

async function jobsCall(method: string, path: string, opts: { query?: Record<string, unknown>; body?: unknown } = {}) {
  const fake = fakeBatch();
  const handler = makeJobsHandler({ batch: fake.port, region: "ap-guangzhou", keys: KEYS, logger: memoryLogger() });
  const r = await handler(event(method, path, opts));
  return { status: r.statusCode, json: JSON.parse(r.body) as { code?: string; errors?: Array<{ path: string; message: string }> }, calls: fake.calls };
}

describe("tag filters (shared/schemas/tags.ts)", () => {
  it("parses key=value and a bare key; the value may be empty or hold =", () => {
    expect(parseTagFilter("team=render")).toEqual({ key: "team", value: "render" });
    expect(parseTagFilter("team")).toEqual({ key: "team" });
    expect(parseTagFilter("team=")).toEqual({ key: "team", value: "" });
    expect(parseTagFilter("expr=a=b")).toEqual({ key: "expr", value: "a=b" });
    expect(tagFilterToBatch({ key: "team", value: "render" })).toEqual({ Name: "tag:team", Values: ["render"] });
    expect(tagFilterToBatch({ key: "team" })).toEqual({ Name: "tag-key", Values: ["team"] });
  });

  it("refuses an empty key and keys or values longer than a tag's", () => {
    for (const s of ["=", "==", "=v", "=a=b"]) expect(parseTagFilter(s)).toEqual({ rule: expect.stringMatching(/has an empty key/) });
    expect(parseTagFilter(`${"k".repeat(TAG_KEY_MAX + 1)}=v`)).toEqual({ rule: expect.stringMatching(/key is at most 127/) });
    expect(parseTagFilter(`k=${"v".repeat(TAG_VALUE_MAX + 1)}`)).toEqual({ rule: expect.stringMatching(/value is at most 255/) });
    expect(parseTagFilter("k".repeat(TAG_KEY_MAX))).toEqual({ key: "k".repeat(TAG_KEY_MAX) });
  });

  it("listFilters refuses what the query schema would, at query.tag (a caller that skips the schema)", () => {
    expect(() => listFilters({ tag: ["="] })).toThrow(/query\.tag: "=" has an empty key/);
    const ten = Array.from({ length: LIMITS.filters }, (_, i) => `k${i}=v`);
    expect(listFilters({ tag: ten })).toHaveLength(LIMITS.filters);
    expect(() => listFilters({ tag: ten, state: ["RUNNING"] })).toThrow(/query\.tag: at most 9 tag filters \(10 given\).*1 other filters/);
  });
});

describe("GET /jobs?tag=: refused at query.tag before DescribeJobs", () => {
  it.each([
    ["tag==", { tag: "=" }, /"=" has an empty key/],
    ["tag==v", { tag: "=v" }, /"=v" has an empty key/],
    ["tag=ok&tag==", { tag: ["team=render", "="] }, /"=" has an empty key/],
    ["500 tag= values", { tag: Array.from({ length: 500 }, (_, i) => `k${i}=v`) }, /at most 10 tag filters \(500 given\)/],
    ["11 tag= values", { tag: Array.from({ length: 11 }, (_, i) => `k${i}`) }, /at most 10 tag filters \(11 given\)/],
    ["11 comma-separated", { tag: Array.from({ length: 11 }, (_, i) => `k${i}`).join(",") }, /at most 10 tag filters \(11 given\)/],
    ["8 tags beside state, name, zone and submitter", { tag: Array.from({ length: 8 }, (_, i) => `k${i}`), state: "RUNNING", name: "n", zone: "ap-guangzhou-2", submitter: "app" }, /at most 6 tag filters \(8 given\).*4 other filters/],
  ])("%s", async (_what, query, message) => {
    const r = await jobsCall("GET", "/jobs", { query });
    expect(r.status).toBe(400);
    expect(r.json.code).toBe("validation_failed");
    expect(r.json.errors).toEqual([{ path: "query.tag", message: expect.stringMatching(message) }]);
    expect(r.calls).toEqual([]);
  });

  it("takes up to the limit: 10 tags alone, or 6 beside four other filters, as DescribeJobs filters", async () => {
    const ten = await jobsCall("GET", "/jobs", { query: { tag: Array.from({ length: 10 }, (_, i) => (i % 2 ? `k${i}=v${i}` : `k${i}`)) } });
    expect(ten.status).toBe(200);
    const filters = (ten.calls[0]?.req as { filters: unknown[] } | undefined)?.filters;
    expect(filters).toHaveLength(10);
    expect(filters?.slice(0, 2)).toEqual([
      { Name: "tag-key", Values: ["k0"] },
      { Name: "tag:k1", Values: ["v1"] },
    ]);
    const mixed = await jobsCall("GET", "/jobs", { query: { tag: Array.from({ length: 6 }, (_, i) => `k${i}`), state: "RUNNING", name: "n", zone: "ap-guangzhou-2", submitter: "app" } });
    expect(mixed.status).toBe(200);
    expect((mixed.calls[0]?.req as { filters: unknown[] } | undefined)?.filters).toHaveLength(LIMITS.filters);
    // An empty tag parameter is no filter, as before.
    const empty = await jobsCall("GET", "/jobs", { query: { tag: "" } });
    expect(empty.status).toBe(200);
    expect(empty.calls[0]?.req).toEqual({ offset: 0, limit: 20 });
  });
});

const COS = "cos://bucket-1250000000.cos.ap-guangzhou.myqcloud.com";
const ESCAPES = [
  "/logs/%2e%2e/",
  "/logs/%2E%2E/",
  "/logs/%2E./",
  "/logs/.%2e/",
  "/%2e%2e/%2e%2e/etc/",
  "/logs/%2e/",
  "/logs/%252e%252e/", // double-encoded: a server that decodes twice meets ..
  "/logs/..%2fsecret/",
  "/logs/%2e%2e%2fsecret/",
  "/logs/a%2F..%2F..%2Fb/",
  "/logs/a%5c..%5cb/",
  "/logs/..\\secret/",
  "/logs/a%00/",
];

describe("storage paths that escape their folder (shared/schemas/paths.ts)", () => {
  it.each(ESCAPES)("COS %s is refused", (rest) => {
    const r = checkCosPath(`${COS}${rest}`, "ap-guangzhou");
    expect(r).toEqual({ ok: false, rule: expect.stringMatching(/^COS paths may not contain \. or \.\. segments, plain or %-encoded/) });
    expect(checkRemotePath(`${COS}${rest}`, "ap-guangzhou").ok).toBe(false);
  });

  it.each(ESCAPES)("CFS/NFS %s is refused", (rest) => {
    for (const scheme of ["cfs", "nfs"]) {
      expect(checkCfsPath(`${scheme}://10.0.0.8${rest}`)).toEqual({ ok: false, rule: expect.stringMatching(/^CFS\/NAS paths may not contain/) });
    }
  });

  it("says what it refuses, the same for plain and encoded forms", () => {
    const rule = "may not contain . or .. segments, plain or %-encoded, nor %2F or %5C";
    expect(checkCosPath(`${COS}/logs/%2e%2e/`)).toEqual({ ok: false, rule: `COS paths ${rule}` });
    expect(checkCosPath(`${COS}/logs/../`)).toEqual({ ok: false, rule: `COS paths ${rule}` });
    expect(checkCfsPath("nfs://10.0.0.8/a%2F..%2Fb/")).toEqual({ ok: false, rule: `CFS/NAS paths ${rule}` });
  });

  it("accepts folders that only look alike: dots inside a name, a literal percent, other escapes", () => {
    for (const rest of ["/logs/", "/a..b/", "/.hidden/", "/..x/", "/v1.2/", "/50%25off/", "/100%/", "/%zz/", "/a%20b/", "/%2e%2ex/", "/x%2e/"]) {
      expect(checkCosPath(`${COS}${rest}`, "ap-guangzhou")).toEqual({ ok: true });
      expect(checkCfsPath(`cfs://10.0.0.8${rest}`)).toEqual({ ok: true });
    }
    expect(checkCosFile(`${COS}/pkg/%2e%2e/app.tgz`, "ap-guangzhou").ok).toBe(false);
    expect(checkCosFile(`${COS}/pkg/app.tgz`, "ap-guangzhou").ok).toBe(true);
  });

  it("POST /jobs with one refuses it at the field, before SubmitJob", async () => {
    const body = structuredClone(documentedExample) as typeof documentedExample & {
      Job: { Tasks: Array<{ RedirectInfo: { StdoutRedirectPath: string }; InputMappings?: unknown[] }> };
    };
    const task = body.Job.Tasks[0]!;
    task.RedirectInfo.StdoutRedirectPath = `${COS}/logs/%2e%2e/`;
    task.InputMappings = [{ SourcePath: "cfs://10.0.0.8/data/.%2e/", DestinationPath: "/data/" }];
    const r = await jobsCall("POST", "/jobs", { body });
    expect(r.status).toBe(400);
    expect(r.json.errors).toEqual(
      expect.arrayContaining([
        { path: "Job.Tasks[0].RedirectInfo.StdoutRedirectPath", message: expect.stringMatching(/%-encoded/) },
        { path: "Job.Tasks[0].InputMappings[0].SourcePath", message: expect.stringMatching(/%-encoded/) },
      ]),
    );
    expect(r.calls).toEqual([]);
  });

  it("POST /envs with one refuses it at the field, before CreateComputeEnv", async () => {
    const calls: string[] = [];
    const port = new Proxy({} as BatchPort, {
      get: (_t, name) => (name === "then" ? undefined : async () => void calls.push(String(name))),
    });
    const handler = makeEnvsHandler({
      port,
      policy: EnvPolicySchema.parse({}),
      prices: priceTableFromEnv(undefined),
      region: "ap-guangzhou",
      keys: parseApiKeys(`app:${KEY}`),
      logger: memoryLogger(),
    });
    const body = {
      Placement: { Zone: "ap-guangzhou-2" },
      ComputeEnv: {
        EnvName: "escape",
        EnvType: "MANAGED",
        DesiredComputeNodeCount: 0,
        EnvData: { InstanceType: "BS1.LARGE8", ImageId: "img-31tjrtph" },
        InputMappings: [{ SourcePath: `${COS}/in/%2E%2E/`, DestinationPath: "/data/" }],
      },
    };
    const r = await handler(event("POST", "/envs", { body }));
    expect(r.statusCode).toBe(400);
    expect(JSON.parse(r.body).errors).toEqual([{ path: "ComputeEnv.InputMappings[0].SourcePath", message: expect.stringMatching(/%-encoded/) }]);
    expect(calls).toEqual([]);
  });
});
