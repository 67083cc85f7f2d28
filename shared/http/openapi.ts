// OpenAPI 3.1 from the route table. zod 3 has no JSON Schema export, so this is a small
// converter for the types the routes use; anything it does not know becomes `{}` (any value).
import { z } from "zod";

export type JsonSchema = Record<string, unknown>;

/** Converts a zod 3 schema to JSON Schema (2020-12, as OpenAPI 3.1 uses). `io` picks input or output for pipes. */
export function toJsonSchema(schema: z.ZodTypeAny, io: "input" | "output" = "input"): JsonSchema {
  const out = convert(schema, io);
  const description = schema.description;
  return description && out.description === undefined ? { ...out, description } : out;
}

function convert(s: z.ZodTypeAny, io: "input" | "output"): JsonSchema {
  const def = s._def as { typeName?: string };
  switch (def.typeName) {
    case z.ZodFirstPartyTypeKind.ZodString: {
      const out: JsonSchema = { type: "string" };
      for (const c of (s as z.ZodString)._def.checks) {
        if (c.kind === "min") out.minLength = c.value;
        else if (c.kind === "max") out.maxLength = c.value;
        else if (c.kind === "length") out.minLength = out.maxLength = c.value;
        else if (c.kind === "regex") out.pattern = c.regex.source;
        else if (c.kind === "email") out.format = "email";
        else if (c.kind === "url") out.format = "uri";
        else if (c.kind === "uuid") out.format = "uuid";
        else if (c.kind === "datetime") out.format = "date-time";
      }
      return out;
    }
    case z.ZodFirstPartyTypeKind.ZodNumber: {
      const out: JsonSchema = { type: "number" };
      for (const c of (s as z.ZodNumber)._def.checks) {
        if (c.kind === "int") out.type = "integer";
        else if (c.kind === "min") out[c.inclusive ? "minimum" : "exclusiveMinimum"] = c.value;
        else if (c.kind === "max") out[c.inclusive ? "maximum" : "exclusiveMaximum"] = c.value;
        else if (c.kind === "multipleOf") out.multipleOf = c.value;
      }
      return out;
    }
    case z.ZodFirstPartyTypeKind.ZodBigInt:
      return { type: "integer" };
    case z.ZodFirstPartyTypeKind.ZodBoolean:
      return { type: "boolean" };
    case z.ZodFirstPartyTypeKind.ZodNull:
      return { type: "null" };
    case z.ZodFirstPartyTypeKind.ZodDate:
      return { type: "string", format: "date-time" };
    case z.ZodFirstPartyTypeKind.ZodLiteral: {
      const v = (s as z.ZodLiteral<unknown>)._def.value;
      return { const: v, ...(typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? { type: typeName(v) } : {}) };
    }
    case z.ZodFirstPartyTypeKind.ZodEnum:
      return { type: "string", enum: [...(s as z.ZodEnum<[string, ...string[]]>)._def.values] };
    case z.ZodFirstPartyTypeKind.ZodNativeEnum:
      return { enum: Object.values((s as z.ZodNativeEnum<z.EnumLike>)._def.values) };
    case z.ZodFirstPartyTypeKind.ZodArray: {
      const d = (s as z.ZodArray<z.ZodTypeAny>)._def;
      return {
        type: "array",
        items: toJsonSchema(d.type, io),
        ...(d.minLength ? { minItems: d.minLength.value } : {}),
        ...(d.maxLength ? { maxItems: d.maxLength.value } : {}),
        ...(d.exactLength ? { minItems: d.exactLength.value, maxItems: d.exactLength.value } : {}),
      };
    }
    case z.ZodFirstPartyTypeKind.ZodTuple: {
      const items = (s as z.ZodTuple)._def.items as z.ZodTypeAny[];
      return { type: "array", prefixItems: items.map((i) => toJsonSchema(i, io)), minItems: items.length };
    }
    case z.ZodFirstPartyTypeKind.ZodObject: {
      const o = s as z.AnyZodObject;
      const properties: Record<string, JsonSchema> = {};
      const required: string[] = [];
      for (const [k, v] of Object.entries(o.shape as Record<string, z.ZodTypeAny>)) {
        properties[k] = toJsonSchema(v, io);
        if (!isOptional(v, io)) required.push(k);
      }
      const out: JsonSchema = { type: "object", properties };
      if (required.length > 0) out.required = required;
      const unknownKeys = o._def.unknownKeys as string;
      const catchall = o._def.catchall as z.ZodTypeAny;
      if (unknownKeys === "strict") out.additionalProperties = false;
      else if (!(catchall instanceof z.ZodNever)) out.additionalProperties = toJsonSchema(catchall, io);
      return out;
    }
    case z.ZodFirstPartyTypeKind.ZodRecord:
      return { type: "object", additionalProperties: toJsonSchema((s as z.ZodRecord)._def.valueType, io) };
    case z.ZodFirstPartyTypeKind.ZodUnion:
    case z.ZodFirstPartyTypeKind.ZodDiscriminatedUnion: {
      const options = (s._def as { options: z.ZodTypeAny[] | Map<unknown, z.ZodTypeAny> }).options;
      const list = Array.isArray(options) ? options : [...options.values()];
      return { anyOf: list.map((o) => toJsonSchema(o, io)) };
    }
    case z.ZodFirstPartyTypeKind.ZodIntersection: {
      const d = (s as z.ZodIntersection<z.ZodTypeAny, z.ZodTypeAny>)._def;
      return { allOf: [toJsonSchema(d.left, io), toJsonSchema(d.right, io)] };
    }
    case z.ZodFirstPartyTypeKind.ZodOptional:
      return toJsonSchema((s as z.ZodOptional<z.ZodTypeAny>)._def.innerType, io);
    case z.ZodFirstPartyTypeKind.ZodNullable:
      return { anyOf: [toJsonSchema((s as z.ZodNullable<z.ZodTypeAny>)._def.innerType, io), { type: "null" }] };
    case z.ZodFirstPartyTypeKind.ZodDefault: {
      const d = (s as z.ZodDefault<z.ZodTypeAny>)._def;
      return { ...toJsonSchema(d.innerType, io), default: d.defaultValue() };
    }
    case z.ZodFirstPartyTypeKind.ZodCatch:
    case z.ZodFirstPartyTypeKind.ZodReadonly:
    case z.ZodFirstPartyTypeKind.ZodBranded:
      return toJsonSchema((s._def as { innerType?: z.ZodTypeAny; type?: z.ZodTypeAny }).innerType ?? (s._def as { type: z.ZodTypeAny }).type, io);
    case z.ZodFirstPartyTypeKind.ZodEffects:
      // Refinements and transforms are documented as the type they check; preprocess as its target.
      return toJsonSchema((s as z.ZodEffects<z.ZodTypeAny>)._def.schema, io);
    case z.ZodFirstPartyTypeKind.ZodPipeline: {
      const d = (s as z.ZodPipeline<z.ZodTypeAny, z.ZodTypeAny>)._def;
      return toJsonSchema(io === "input" ? d.in : d.out, io);
    }
    case z.ZodFirstPartyTypeKind.ZodLazy:
      return toJsonSchema((s as z.ZodLazy<z.ZodTypeAny>)._def.getter(), io);
    default:
      return {};
  }
}

function typeName(v: string | number | boolean): string {
  return typeof v === "number" ? (Number.isInteger(v) ? "integer" : "number") : typeof v;
}

function isOptional(s: z.ZodTypeAny, io: "input" | "output"): boolean {
  if (s instanceof z.ZodOptional) return true;
  if (s instanceof z.ZodDefault) return io === "input";
  if (s instanceof z.ZodEffects) return isOptional(s._def.schema, io);
  if (s instanceof z.ZodPipeline) return isOptional(io === "input" ? s._def.in : s._def.out, io);
  return s.isOptional();
}

// ── the document ──────────────────────────────────────────────────────────────────────

export interface OpenApiRoute {
  method: string;
  path: string;
  scope?: string | undefined;
  summary?: string | undefined;
  description?: string | undefined;
  operationId?: string | undefined;
  params?: z.ZodTypeAny | undefined;
  body?: z.ZodTypeAny | undefined;
  serviceBody?: z.ZodTypeAny | undefined;
  query?: z.ZodTypeAny | undefined;
  headers?: Record<string, string> | undefined;
  response?: z.ZodTypeAny | undefined;
  status?: number | undefined;
  errors?: number[] | undefined;
}

export interface OpenApiInfo {
  title: string;
  version: string;
  description?: string;
  servers?: Array<{ url: string; description?: string }>;
}

const PROBLEM_SCHEMA: JsonSchema = {
  type: "object",
  required: ["type", "title", "status", "code", "detail", "instance", "errors"],
  properties: {
    type: { type: "string" },
    title: { type: "string" },
    status: { type: "integer" },
    code: { type: "string", description: "stable error code clients can match on" },
    detail: { type: "string" },
    instance: { type: "string", description: "the request id" },
    errors: {
      type: "array",
      items: { type: "object", required: ["path", "message"], properties: { path: { type: "string" }, message: { type: "string" } } },
    },
    tencentCode: { type: "string", description: "the Tencent Cloud API error Code, when Batch refused" },
    tencentRequestId: { type: "string", description: "the Tencent Cloud API RequestId, when Batch answered" },
  },
};

const ERROR_TEXT: Record<number, string> = {
  400: "invalid request (see errors[].path)",
  401: "missing or invalid API key",
  403: "the API key lacks the scope",
  404: "not found",
  409: "conflict with the resource's state",
  413: "body over 1 MB",
  429: "throttled; see Retry-After",
  500: "internal error",
  503: "unavailable; see Retry-After",
};

export function buildOpenApi(info: OpenApiInfo, routes: readonly OpenApiRoute[]): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const params: unknown[] = [];
    const pathProps = ((r.params && toJsonSchema(r.params).properties) ?? {}) as Record<string, JsonSchema>;
    for (const m of r.path.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g))
      params.push({ name: m[1], in: "path", required: true, schema: pathProps[m[1]!] ?? { type: "string" } });
    if (r.query) {
      const q = toJsonSchema(r.query);
      const props = (q.properties ?? {}) as Record<string, JsonSchema>;
      const required = (q.required ?? []) as string[];
      for (const [name, schema] of Object.entries(props))
        params.push({
          name,
          in: "query",
          required: required.includes(name),
          schema,
          ...(schema.description ? { description: schema.description } : {}),
        });
    }
    for (const [name, description] of Object.entries(r.headers ?? {}))
      params.push({ name, in: "header", required: false, schema: { type: "string" }, description });
    const status = String(r.status ?? 200);
    const responses: Record<string, unknown> = {
      [status]: {
        description: r.summary ?? "success",
        ...(r.response ? { content: { "application/json": { schema: toJsonSchema(r.response, "output") } } } : {}),
      },
    };
    for (const code of [400, 401, 403, ...(r.errors ?? []), 429, 500, 503]) {
      responses[String(code)] = {
        description: ERROR_TEXT[code] ?? "error",
        content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
      };
    }
    const body = r.body ?? r.serviceBody;
    const op: Record<string, unknown> = {
      operationId: r.operationId ?? operationId(r.method, r.path),
      ...(r.summary ? { summary: r.summary } : {}),
      ...(r.description ? { description: r.description } : {}),
      ...(params.length ? { parameters: params } : {}),
      ...(body
        ? { requestBody: { required: true, content: { "application/json": { schema: toJsonSchema(body) } } } }
        : {}),
      responses,
      security: [{ bearer: r.scope ? [r.scope] : [] }],
      ...(r.scope ? { "x-scope": r.scope } : {}),
    };
    paths[r.path] = { ...paths[r.path], [r.method.toLowerCase()]: op };
  }
  return {
    openapi: "3.1.0",
    info: { title: info.title, version: info.version, ...(info.description ? { description: info.description } : {}) },
    ...(info.servers ? { servers: info.servers } : {}),
    paths,
    components: {
      schemas: { Problem: PROBLEM_SCHEMA },
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "an API key from API_KEYS" } },
    },
  };
}

function operationId(method: string, path: string): string {
  const words = path
    .split("/")
    .filter(Boolean)
    .map((s) => s.replace(/[{}]/g, ""))
    .map((s) => s.charAt(0).toUpperCase() + s.slice(1));
  return method.toLowerCase() + words.join("");
}
