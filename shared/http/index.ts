// The HTTP layer shared by the HTTP functions (jobs, envs, cost-report's GET /costs): one thin adapter from SCF's
// API Gateway / Function URL events to a neutral request, a router, API-key auth and
// problem+json errors. Usage:
//
//   const routes = [
//     route({ method: "GET", path: "/envs/{EnvId}", scope: "envs:read", summary: "one env",
//             params: z.object({ EnvId: EnvIdSchema }), query: z.object({ verbose: queryBool() }), response: EnvSchema,
//             handler: async ({ params, query, principal, log }) => ({ status: 200, body: … }) }),
//     route({ method: "POST", path: "/envs", scope: "envs:write", body: CreateSchema, status: 201,
//             handler: async ({ body }) => ({ status: 201, body: … }) }),
//   ];
//   routes.push(openApiRoute({ title: "envs", version: "1" }, () => routes));
//   const handler = makeHttpHandler({ routes, ...httpConfigFromEnv(env), logger });   // config.ts
//
// What it guarantees:
// - Events: both trigger shapes (shared/triggers/http.ts); headers lower-cased; query values a
//   string, string[] or `true` (bare key); base64 bodies decoded; bodies over 1 MB → 413
//   `payload_too_large`; request id from requestContext.requestId, else the SCF context's
//   request_id, else x-request-id, else a UUID (echoed as the `x-request-id` header); source IP
//   from requestContext.sourceIp or `x-scf-remote-addr`.
// - Order: API keys unusable → 503 `auth_not_configured` (fail closed); no/invalid Bearer key →
//   401 `unauthorized` + WWW-Authenticate; unknown path → 404 `not_found`; wrong method → 405
//   `method_not_allowed` + Allow; key without the route's scope → 403 `forbidden`; body not JSON →
//   400 `malformed_json`; body/query failing the route's zod schema → 400 `validation_failed` with
//   errors[].path (`Job.Tasks[0].TaskName`, `query.limit`, `JobId`), checked in that order: body,
//   query, path parameters (`params`). JSON bodies: null members dropped (the SDK's unset
//   fields), `__proto__`/`constructor`/`prototype` keys refused (400 naming the path). A route's
//   `rules` (cross-field rules needing the region or the key) run with its body schema and report
//   in the same 400; a route with `idempotency: IDEMPOTENCY_KEY` takes `Idempotency-Key` (or a body
//   ClientToken) by shared/idempotency.ts's grammar, an empty header is a 400, its problems are
//   reported with the body's, and the handler gets the checked key.
// - Answers: a route's `response` schema types what its handler returns (z.infer) and documents
//   it (OpenAPI); handler tests parse real answers with it (test/support/http-answers.ts).
// - Paths: matched as given, then without a leading stage segment (the event's stage, or
//   release/test/prepub), then without `basePath` (see router.ts).
// - API_KEYS grammar and scopes: see auth.ts (`name:key` or `name:key:scope1|scope2`; no scopes
//   = all scopes of the function).
// - Errors: application/problem+json {type, title, status, code, detail, instance (request id),
//   errors[], tencentCode?, tencentRequestId?} from AppError; AppError.details become extension
//   members; non-exposed and unknown errors → a generic body naming only the request id;
//   Retry-After whenever an AppError carries retryAfterSeconds (throttling, a policy cooldown).
// - Bad configuration: see shared/entry.ts (one policy for every function).
// - One access-log line per request (method, path, status, ms, principal, request_id,
//   source_ip, code): never headers or bodies.
export { type HttpConfig, httpConfigFromEnv } from "./config";
export { type KeyRing, type Principal, hasScope, identify, parseApiKeys, requireOwner, requireScope, authenticate } from "./auth";
export {
  actionAnswer,
  type BodyRuleContext,
  checkBody,
  type HttpHandlerOptions,
  type HttpResult,
  type MainHandler,
  makeHttpHandler,
  openApiRoute,
  parseJsonBody,
  type Route,
  type RouteContext,
  type RouteDef,
  route,
} from "./handler";
export { buildOpenApi, type JsonSchema, type OpenApiInfo, type OpenApiRoute, toJsonSchema } from "./openapi";
export { type Problem, PROBLEM_TYPE_BASE, toProblem } from "./problem";
export { queryBool, queryInt, queryList, queryStr } from "./query";
export { type HttpRequest, locationOf, MAX_BODY_BYTES, type Query, queryString, type ScfHttpResponse, toHttpRequest } from "./request";
export { createRouter, type HttpMethod, STAGE_NAMES } from "./router";
