// Lenient envelopes for the two HTTP triggers SCF delivers: API Gateway and Function URL.
// Captured events differ from the documented ones (header case, `identity: {}`, query values
// that are a string, an array or `true`), and Tencent adds fields: unknown fields pass, and
// the shapes are never `.strict()`. Business payloads are validated later, by the routes.
import { z } from "zod";

/** A query value as the platform parses it: `?a=1` → "1", `?a=1&a=2` → ["1","2"], `?a` → true. */
export const QueryValueSchema = z.union([
  z.string(),
  z.array(z.union([z.string(), z.number(), z.boolean()]).transform(String)),
  z.boolean(),
  z.number().transform(String),
  z.null(),
]);
export type QueryValue = string | string[] | true;

const HeaderValueSchema = z.union([
  z.string(),
  z.number().transform(String),
  z.boolean().transform(String),
  z.array(z.union([z.string(), z.number()]).transform(String)).transform((v) => v.join(", ")),
  z.null(),
]);

const HeadersSchema = z.record(z.string(), HeaderValueSchema).nullish();
const QuerySchema = z.record(z.string(), QueryValueSchema).nullish();

/** The body: a string; some gateways hand over an already-parsed JSON value, re-serialised here. */
const BodySchema = z
  .unknown()
  .transform((v) => (v === undefined || v === null ? "" : typeof v === "string" ? v : JSON.stringify(v)));

const Base64FlagSchema = z
  .union([z.boolean(), z.string(), z.null()])
  .optional()
  .transform((v) => v === true || (typeof v === "string" && v.toLowerCase() === "true"));

export const ApiGatewayRequestContextSchema = z
  .object({
    serviceId: z.string().nullish(),
    path: z.string().nullish(),
    httpMethod: z.string().nullish(),
    requestId: z.string().nullish(),
    sourceIp: z.string().nullish(),
    stage: z.string().nullish(),
    identity: z.record(z.string(), z.unknown()).nullish(),
  })
  .passthrough();

/** API Gateway trigger (batch-facts §8, reference §3.3). */
export const ApiGatewayEventSchema = z
  .object({
    requestContext: ApiGatewayRequestContextSchema,
    httpMethod: z.string().min(1),
    path: z.string(),
    headers: HeadersSchema,
    body: BodySchema,
    isBase64Encoded: Base64FlagSchema,
    pathParameters: z.record(z.string(), z.unknown()).nullish(),
    queryString: QuerySchema,
    queryStringParameters: QuerySchema,
    headerParameters: z.record(z.string(), z.unknown()).nullish(),
    stageVariables: z.record(z.string(), z.unknown()).nullish(),
  })
  .passthrough();
export type ApiGatewayEvent = z.infer<typeof ApiGatewayEventSchema>;

/** Function URL trigger: the API Gateway shape without requestContext and friends. */
export const FunctionUrlEventSchema = z
  .object({
    httpMethod: z.string().min(1),
    path: z.string(),
    headers: HeadersSchema,
    body: BodySchema,
    isBase64Encoded: Base64FlagSchema,
    queryString: QuerySchema,
  })
  .passthrough();
export type FunctionUrlEvent = z.infer<typeof FunctionUrlEventSchema>;

export type HttpTriggerEvent =
  | ({ kind: "apigw" } & ApiGatewayEvent)
  | ({ kind: "function-url" } & FunctionUrlEvent);

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
