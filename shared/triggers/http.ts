// Lenient envelopes for the two HTTP triggers SCF delivers: API Gateway and Function URL.
// Captured events differ from the documented ones (header case, `identity: {}`, query values
// that are a string, an array or `true`), and Tencent adds fields: unknown fields pass, and
// the shapes are never `.strict()`. Business payloads are validated later, by the routes.
import * as z from "../zod";

/** A query value as the platform parses it: `?a=1` → "1", `?a=1&a=2` → ["1","2"], `?a` → true. */
export type QueryValue = string | string[] | true;

const scalar = (v: unknown) => typeof v === "string" || typeof v === "number" || typeof v === "boolean";
/** What a query value may be in an event: a string, `true`, a number, null, or an array of strings, numbers or booleans. */
const isQueryValue = (v: unknown) => v === null || scalar(v) || (Array.isArray(v) && v.every(scalar));

const HeaderValueSchema = z.union([
  z.string(),
  z.pipe(z.number(), z.transform(String)),
  z.pipe(z.boolean(), z.transform(String)),
  z.pipe(
    z.array(z.pipe(z.union([z.string(), z.number()]), z.transform(String))),
    z.transform((v) => v.join(", ")),
  ),
  z.null(),
]);

const HeadersSchema = z.nullish(z.record(z.string(), HeaderValueSchema));

/**
 * The query as the event holds it, checked, not copied: a zod record would build a plain `{}` and
 * drop a member named `__proto__` (assigning it would replace that object's prototype). The request
 * (shared/http/request.ts) reads every own member into an object without a prototype, so
 * `?__proto__=x` or `?toString=1` is an ordinary parameter that the route's query schema judges; a
 * value of another type still makes the event no HTTP event, as before.
 */
const QuerySchema = z.nullish(
  z.unknown().check(z.refine((v) => typeof v === "object" && v !== null && !Array.isArray(v) && Object.values(v).every(isQueryValue))),
);

/** The body: a string; some gateways hand over an already-parsed JSON value, re-serialised here. */
const BodySchema = z.pipe(
  z.unknown(),
  z.transform((v) => (v === undefined || v === null ? "" : typeof v === "string" ? v : JSON.stringify(v))),
);

const Base64FlagSchema = z.pipe(
  z.optional(z.union([z.boolean(), z.string(), z.null()])),
  z.transform((v) => v === true || (typeof v === "string" && v.toLowerCase() === "true")),
);

export const ApiGatewayRequestContextSchema = z.looseObject({
  serviceId: z.nullish(z.string()),
  path: z.nullish(z.string()),
  httpMethod: z.nullish(z.string()),
  requestId: z.nullish(z.string()),
  sourceIp: z.nullish(z.string()),
  stage: z.nullish(z.string()),
  identity: z.nullish(z.record(z.string(), z.unknown())),
});

/** API Gateway trigger (batch-facts §8, reference §3.3). */
export const ApiGatewayEventSchema = z.looseObject({
  requestContext: ApiGatewayRequestContextSchema,
  httpMethod: z.string().check(z.minLength(1)),
  path: z.string(),
  headers: HeadersSchema,
  body: BodySchema,
  isBase64Encoded: Base64FlagSchema,
  pathParameters: z.nullish(z.record(z.string(), z.unknown())),
  queryString: QuerySchema,
  queryStringParameters: QuerySchema,
  headerParameters: z.nullish(z.record(z.string(), z.unknown())),
  stageVariables: z.nullish(z.record(z.string(), z.unknown())),
});
export type ApiGatewayEvent = z.infer<typeof ApiGatewayEventSchema>;

/** Function URL trigger: the API Gateway shape without requestContext and friends. */
export const FunctionUrlEventSchema = z.looseObject({
  httpMethod: z.string().check(z.minLength(1)),
  path: z.string(),
  headers: HeadersSchema,
  body: BodySchema,
  isBase64Encoded: Base64FlagSchema,
  queryString: QuerySchema,
});
export type FunctionUrlEvent = z.infer<typeof FunctionUrlEventSchema>;

export type HttpTriggerEvent = ({ kind: "apigw" } & ApiGatewayEvent) | ({ kind: "function-url" } & FunctionUrlEvent);

/** Which HTTP trigger sent `event`, parsed; undefined when it is no HTTP event at all. */
export function parseHttpEvent(event: unknown): HttpTriggerEvent | undefined {
  const isObj = typeof event === "object" && event !== null;
  if (isObj && "requestContext" in event) {
    const r = ApiGatewayEventSchema.safeParse(event);
    if (r.success) return { kind: "apigw", ...r.data };
  }
  const f = FunctionUrlEventSchema.safeParse(event);
  return f.success ? { kind: "function-url", ...f.data } : undefined;
}

/** Whether an event came from an HTTP trigger (either shape) rather than a timer or CMQ trigger. */
export function isHttpEvent(event: unknown): boolean {
  return !!event && typeof event === "object" && typeof (event as { httpMethod?: unknown }).httpMethod === "string";
}
