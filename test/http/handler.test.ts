import { describe, expect, it } from "vitest";
import { z } from "zod";
import { AppError } from "../../shared/errors";
import { makeHttpHandler, openApiRoute, parseApiKeys, queryBool, queryInt, type Route, route } from "../../shared/http";
import { memoryLogger } from "../../shared/log";
import apigwCaptured from "../fixtures/apigw-captured-style.json";
import apigwDocumented from "../fixtures/apigw-documented.json";
import functionUrl from "../fixtures/function-url.json";

const WRITER_KEY = "writer-key-0123456789abcdef";
const READER_KEY = "reader-key-0123456789abcdef";
const ADMIN_KEY = "admin-key-0123456789abcdef0";
const API_KEYS = `writer:${WRITER_KEY}:jobs:read|jobs:write, reader:${READER_KEY}:jobs:read,admin:${ADMIN_KEY}`;

type Event = Record<string, unknown> & { headers: Record<string, string> };
const clone = <T>(v: T): T => structuredClone(v);

/** A fixture with the bearer key set (the fixtures carry REPLACE_ME), header case kept. */
function withKey<T extends Event>(fixture: T, key: string | undefined): T {
  const e = clone(fixture);
  for (const h of Object.keys(e.headers)) if (h.toLowerCase() === "authorization") delete e.headers[h];
  if (key !== undefined) e.headers.Authorization = `Bearer ${key}`;
  return e;
}

const SubmitSchema = z.object({
  Placement: z.object({ Zone: z.string() }),
  Job: z.object({ JobName: z.string().max(60).optional(), Tasks: z.array(z.object({ TaskName: z.string() })).min(1) }),
});

function setup(opts: { keys?: string; throwing?: unknown } = {}) {
  const logger = memoryLogger({ function: "test" });
  const seen: Array<Record<string, unknown>> = [];
  const routes: Route[] = [
    route({
      method: "POST",
      path: "/jobs",
      scope: "jobs:write",
      body: SubmitSchema,
      status: 201,
      handler: ({ body, principal, req }) => {
        seen.push({ body, principal: principal.name, sourceIp: req.sourceIp });
        return { status: 201, body: { JobId: "job-abcdefgh", zone: body.Placement.Zone } };
      },
    }),
    route({
      method: "GET",
      path: "/jobs/{JobId}",
      scope: "jobs:read",
      query: z.object({ verbose: queryBool(), limit: queryInt(1, 100) }).passthrough(),
      handler: ({ params, query }) => ({ status: 200, body: { params, query } }),
    }),
    route({
      method: "DELETE",
      path: "/jobs/{JobId}",
      scope: "jobs:write",
      handler: () => {
        if (opts.throwing !== undefined) throw opts.throwing;
        return { status: 204 };
      },
    }),
    route({
      method: "POST",
      path: "/envs/{EnvId}/scale",
      scope: "envs:write",
      query: z.object({ dryRun: queryBool() }),
      handler: ({ params, query, req }) => ({ status: 200, body: { params, query, body: JSON.parse(req.body), ip: req.sourceIp } }),
    }),
  ];
  routes.push(openApiRoute({ title: "test api", version: "1.0.0" }, () => routes));
  const handler = makeHttpHandler({ routes, keys: parseApiKeys(opts.keys ?? API_KEYS), logger });
  const call = async (event: unknown, context?: unknown) => {
    const r = await handler(event, context);
    return { ...r, json: r.body ? (JSON.parse(r.body) as Record<string, unknown>) : undefined };
  };
  return { call, logger, seen };
}

describe("events of both triggers", () => {
  it("serves the documented API Gateway event: body parsed, 201, request id echoed", async () => {
    const { call, seen } = setup();
    const r = await call(withKey(apigwDocumented, WRITER_KEY));
    expect(r.statusCode).toBe(201);
    expect(r.isBase64Encoded).toBe(false);
    expect(r.headers["content-type"]).toBe("application/json");
    expect(r.headers["x-request-id"]).toBe("c6af9ac6-7b61-11e6-9a41-93e8deadbeef");
    expect(r.json).toEqual({ JobId: "job-abcdefgh", zone: "ap-guangzhou-2" });
    expect(seen[0]).toMatchObject({ principal: "writer", sourceIp: "10.0.2.14" });
  });

  it("behind API Gateway, takes the client IP from requestContext only (x-scf-remote-addr is client-supplied there)", async () => {
    const { call, seen } = setup();
    const e = withKey(apigwDocumented, WRITER_KEY) as { headers: Record<string, string>; requestContext: Record<string, unknown> };
    e.headers["x-scf-remote-addr"] = "6.6.6.6";
    await call(e);
    expect(seen[0]).toMatchObject({ sourceIp: "10.0.2.14" });
    delete e.requestContext.sourceIp;
    await call(e);
    expect(seen[1]?.sourceIp).toBeUndefined();
  });

  it("serves the captured-style event: lower-case headers, path params, `true` and array query values", async () => {
    const { call } = setup();
    const r = await call(withKey(apigwCaptured, READER_KEY), { request_id: "scf-req-1" });
    expect(r.statusCode).toBe(200);
    expect(r.json).toEqual({ params: { JobId: "job-n4ohivif" }, query: { verbose: true, tag: ["a", "b"] } });
    // no requestContext.requestId: the SCF context's request_id is used
    expect(r.headers["x-request-id"]).toBe("scf-req-1");
  });

  it("serves the Function URL event: query from queryString, IP from x-scf-remote-addr", async () => {
    const { call } = setup();
    const r = await call(withKey(functionUrl, ADMIN_KEY));
    expect(r.statusCode).toBe(200);
    expect(r.json).toEqual({
      params: { EnvId: "env-ptoxdb1t" },
      query: { dryRun: true },
      body: { DesiredComputeNodeCount: 3 },
      ip: "111.206.96.145",
    });
    expect(r.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("decodes a base64 body", async () => {
    const { call } = setup();
    const e = withKey(apigwDocumented, WRITER_KEY) as Event & { body: string; isBase64Encoded?: boolean };
    e.body = Buffer.from(e.body).toString("base64");
    e.isBase64Encoded = true;
    const r = await call(e);
    expect(r.statusCode).toBe(201);
    expect(r.json?.JobId).toBe("job-abcdefgh");
  });

  it("matches a path behind a stage segment or the event's own stage", async () => {
    const { call } = setup();
    const e = withKey(apigwCaptured, READER_KEY);
    e.path = "/release/jobs/job-n4ohivif";
    expect((await call(e)).statusCode).toBe(200);
    const custom = withKey(apigwCaptured, READER_KEY);
    custom.path = "/blue/jobs/job-n4ohivif";
    (custom.requestContext as Record<string, unknown>).stage = "blue";
    expect((await call(custom)).json?.params).toEqual({ JobId: "job-n4ohivif" });
  });

  it("answers 400 bad_event to something that is not an HTTP event", async () => {
    const { call } = setup();
    const r = await call({ Type: "Timer", TriggerName: "x", Time: "2019-02-21T11:49:00Z" });
    expect(r.statusCode).toBe(400);
    expect(r.json?.code).toBe("bad_event");
  });
});

describe("auth", () => {
  it("401 with WWW-Authenticate: Bearer without a key", async () => {
    const { call } = setup();
    const r = await call(withKey(apigwDocumented, undefined));
    expect(r.statusCode).toBe(401);
    expect(r.headers["www-authenticate"]).toMatch(/^Bearer/);
    expect(r.headers["content-type"]).toBe("application/problem+json");
    expect(r.json?.code).toBe("unauthorized");
  });

  it("401 invalid_token for a wrong key, even on an unknown path", async () => {
    const { call } = setup();
    const e = withKey(apigwDocumented, "not-a-key-0123456789abcdef");
    e.path = "/nothing/here";
    const r = await call(e);
    expect(r.statusCode).toBe(401);
    expect(r.headers["www-authenticate"]).toContain('error="invalid_token"');
  });

  it("403 when the key lacks the scope; a key without scopes has all", async () => {
    const { call } = setup();
    const r = await call(withKey(apigwDocumented, READER_KEY));
    expect(r.statusCode).toBe(403);
    expect(r.json?.code).toBe("forbidden");
    expect(r.json?.detail).toContain("jobs:write");
    expect(r.headers["www-authenticate"]).toContain("insufficient_scope");
    expect((await call(withKey(apigwDocumented, ADMIN_KEY))).statusCode).toBe(201);
    expect((await call(withKey(functionUrl, WRITER_KEY))).statusCode).toBe(403);
  });

  it.each([
    ["no keys", ""],
    ["a malformed entry", `writer:${WRITER_KEY},broken`],
    ["a short key", "writer:short"],
  ])("refuses every request (503 auth_not_configured) with %s", async (_, keys) => {
    const { call, logger } = setup({ keys });
    const r = await call(withKey(apigwDocumented, WRITER_KEY));
    expect(r.statusCode).toBe(503);
    expect(r.json?.code).toBe("auth_not_configured");
    expect(JSON.stringify(logger.lines)).not.toContain(WRITER_KEY);
  });
});

describe("routing", () => {
  it("404 for an unknown path", async () => {
    const { call } = setup();
    const e = withKey(apigwCaptured, READER_KEY);
    e.path = "/jobz";
    const r = await call(e);
    expect(r.statusCode).toBe(404);
    expect(r.json?.code).toBe("not_found");
  });

  it("405 with Allow for a wrong method", async () => {
    const { call } = setup();
    const e = withKey(apigwCaptured, ADMIN_KEY);
    e.httpMethod = "PUT";
    const r = await call(e);
    expect(r.statusCode).toBe(405);
    expect(r.headers.allow).toBe("GET, DELETE");
  });
});

describe("bodies and errors", () => {
  it("400 malformed_json for a body that is not JSON", async () => {
    const { call } = setup();
    const e = withKey(apigwDocumented, WRITER_KEY) as Event & { body: string };
    e.body = '{"Placement": {';
    const r = await call(e);
    expect(r.statusCode).toBe(400);
    expect(r.json?.code).toBe("malformed_json");
  });

  it("400 validation_failed naming the field path", async () => {
    const { call } = setup();
    const e = withKey(apigwDocumented, WRITER_KEY) as Event & { body: string };
    const body = JSON.parse(e.body);
    body.Job.Tasks[0].TaskName = 7;
    e.body = JSON.stringify(body);
    const r = await call(e);
    expect(r.statusCode).toBe(400);
    expect(r.json?.code).toBe("validation_failed");
    expect(r.json?.errors).toEqual([{ path: "Job.Tasks[0].TaskName", message: "Expected string, received number" }]);
  });

  it("400 naming the query parameter", async () => {
    const { call } = setup();
    const e = withKey(apigwCaptured, READER_KEY) as Event & { queryString: Record<string, unknown> };
    e.queryString = { limit: "1000" };
    const r = await call(e);
    expect(r.statusCode).toBe(400);
    expect(r.json?.errors).toEqual([expect.objectContaining({ path: "query.limit" })]);
  });

  it("413 for a body over 1 MB, plain or base64", async () => {
    const { call } = setup();
    const e = withKey(apigwDocumented, WRITER_KEY) as Event & { body: string; isBase64Encoded?: boolean };
    e.body = JSON.stringify({ pad: "x".repeat(1024 * 1024) });
    expect((await call(e)).statusCode).toBe(413);
    e.body = Buffer.from(e.body).toString("base64");
    e.isBase64Encoded = true;
    const r = await call(e);
    expect(r.statusCode).toBe(413);
    expect(r.json?.code).toBe("payload_too_large");
  });

  it("an unknown error is a generic 500 with the request id; details only in the log", async () => {
    const { call, logger } = setup({ throwing: new Error("db password is hunter2") });
    const e = withKey(apigwCaptured, WRITER_KEY);
    e.httpMethod = "DELETE";
    const r = await call(e, { request_id: "req-500" });
    expect(r.statusCode).toBe(500);
    expect(r.json).toMatchObject({ code: "internal_error", instance: "req-500", errors: [] });
    expect(r.body).not.toContain("hunter2");
    expect(JSON.stringify(logger.lines)).toContain("hunter2");
  });

  it("a Batch error keeps Tencent's Code and RequestId; throttling carries Retry-After", async () => {
    const err = new AppError("batch.RequestLimitExceeded", "Batch DeleteJob failed: RequestLimitExceeded", {
      status: 429,
      tencentCode: "RequestLimitExceeded",
      requestId: "tc-req-9",
      retryAfterSeconds: 2,
    });
    const { call } = setup({ throwing: err });
    const e = withKey(apigwCaptured, WRITER_KEY);
    e.httpMethod = "DELETE";
    const r = await call(e);
    expect(r.statusCode).toBe(429);
    expect(r.headers["retry-after"]).toBe("2");
    expect(r.json).toMatchObject({ code: "batch.RequestLimitExceeded", tencentCode: "RequestLimitExceeded", tencentRequestId: "tc-req-9" });
  });

  it("a hidden 502 does not reveal its code", async () => {
    const err = new AppError("batch.AuthFailure.SecretIdNotFound", "Batch failed: AuthFailure", { status: 502, expose: false, tencentCode: "AuthFailure.SecretIdNotFound" });
    const { call } = setup({ throwing: err });
    const e = withKey(apigwCaptured, WRITER_KEY);
    e.httpMethod = "DELETE";
    const r = await call(e);
    expect(r.statusCode).toBe(502);
    expect(r.body).not.toContain("AuthFailure");
    expect(r.json?.code).toBe("bad_gateway");
  });
});

describe("access log", () => {
  it("writes one line per request with method, path, status, ms, principal, request id; never the key", async () => {
    const { call, logger } = setup();
    await call(withKey(apigwDocumented, WRITER_KEY));
    await call(withKey(apigwDocumented, "wrong-key-0123456789abcdef"));
    const access = logger.lines.filter((l) => l.msg === "request");
    expect(access).toHaveLength(2);
    expect(access[0]).toMatchObject({ method: "POST", path: "/jobs", status: 201, principal: "writer", request_id: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef" });
    expect(typeof access[0]?.ms).toBe("number");
    expect(access[1]).toMatchObject({ status: 401, principal: null, code: "unauthorized" });
    const all = JSON.stringify(logger.lines);
    expect(all).not.toContain(WRITER_KEY);
    expect(all).not.toContain("wrong-key-0123456789abcdef");
  });
});

describe("openapi.json", () => {
  it("documents every route with its parameters, body schema and problem responses", async () => {
    const { call } = setup();
    const e = withKey(apigwCaptured, READER_KEY);
    e.path = "/openapi.json";
    const r = await call(e);
    expect(r.statusCode).toBe(200);
    const doc = r.json as { openapi: string; paths: Record<string, Record<string, Record<string, unknown>>> };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(["/jobs", "/jobs/{JobId}", "/envs/{EnvId}/scale", "/openapi.json"]);
    const post = doc.paths["/jobs"]?.post as { requestBody: { content: Record<string, { schema: Record<string, unknown> }> }; responses: Record<string, unknown> };
    expect(post.requestBody.content["application/json"]?.schema).toMatchObject({
      type: "object",
      required: ["Placement", "Job"],
      properties: { Job: { properties: { JobName: { type: "string", maxLength: 60 }, Tasks: { type: "array", minItems: 1 } } } },
    });
    expect(Object.keys(post.responses)).toContain("201");
    const get = doc.paths["/jobs/{JobId}"]?.get as { parameters: Array<Record<string, unknown>> };
    expect(get.parameters).toEqual(
      expect.arrayContaining([
        { name: "JobId", in: "path", required: true, schema: { type: "string" } },
        { name: "limit", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: 100 } },
        { name: "verbose", in: "query", required: false, schema: { type: "boolean" } },
      ]),
    );
  });
});
