// OpenAPI 3.1 from the route table: a small converter from the zod 4 schemas the routes use
// (their `_zod.def`) to JSON Schema; anything it does not know becomes `{}` (any value). Smaller in
// the bundle than zod's own toJSONSchema, and it documents a refinement as the type it checks and
// a transform as the value it reads, as the API has always been documented. Only `/openapi.json`
// runs it.
import * as z from "../zod";
import { isIntegerCheck } from "../zod";

export type JsonSchema = Record<string, unknown>;
type Schema = z.core.$ZodType;
type Def = Record<string, unknown> & { type: string; checks?: Array<{ _zod: { def: Record<string, unknown> & { check: string } } }> };

const defOf = (s: Schema) => s._zod.def as unknown as Def;

/** Converts a zod schema to JSON Schema (2020-12, as OpenAPI 3.1 uses). `io` picks input or output for pipes. */
export function toJsonSchema(schema: Schema, io: "input" | "output" = "input"): JsonSchema {
  const out = convert(schema, io);
  const description = z.globalRegistry.get(schema)?.description;
  return description && out.description === undefined ? { ...out, description } : out;
}

/** The schema a pipe is documented as: a preprocess by its target, a transform by what it reads. */
function pipeSide(d: Def, io: "input" | "output"): Schema {
  const into = d.in as Schema;
  const out = d.out as Schema;
  if (defOf(into).type === "transform") return out;
  if (defOf(out).type === "transform") return into;
  return io === "input" ? into : out;
}

/** minLength/maxLength (strings) or minItems/maxItems (arrays) from the length checks. */
function lengths(d: Def, min: string, max: string, out: JsonSchema): JsonSchema {
  for (const { _zod } of d.checks ?? []) {
    const c = _zod.def;
    if (c.check === "min_length") out[min] = c.minimum;
    else if (c.check === "max_length") out[max] = c.maximum;
    else if (c.check === "length_equals") out[min] = out[max] = c.length;
    else if (c.check === "string_format" && c.format === "regex") out.pattern = (c.pattern as RegExp).source;
  }
  return out;
}

const INT_FORMATS = new Set(["safeint", "int32", "uint32"]);
const FORMATS: Record<string, string> = { email: "email", url: "uri", uuid: "uuid", datetime: "date-time" };

function convert(s: Schema, io: "input" | "output"): JsonSchema {
  const d = defOf(s);
  const inner = () => toJsonSchema(d.innerType as Schema, io);
  switch (d.type) {
    case "string": {
      const format = FORMATS[d.format as string];
      return lengths(d, "minLength", "maxLength", { type: "string", ...(format ? { format } : {}) });
    }
    case "number": {
      const out: JsonSchema = { type: INT_FORMATS.has(d.format as string) ? "integer" : "number" };
      for (const check of d.checks ?? []) {
        const c = check._zod.def;
        if (isIntegerCheck(check) || (c.check === "number_format" && INT_FORMATS.has(c.format as string))) out.type = "integer";
        else if (c.check === "greater_than") out[c.inclusive ? "minimum" : "exclusiveMinimum"] = c.value;
        else if (c.check === "less_than") out[c.inclusive ? "maximum" : "exclusiveMaximum"] = c.value;
        else if (c.check === "multiple_of") out.multipleOf = c.value;
      }
      return out;
    }
    case "bigint":
      return { type: "integer" };
    case "boolean":
      return { type: "boolean" };
    case "null":
      return { type: "null" };
    case "date":
      return { type: "string", format: "date-time" };
    case "literal": {
      const values = d.values as unknown[];
      if (values.length !== 1) return { enum: values };
      const v = values[0];
      return { const: v, ...(typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? { type: typeName(v) } : {}) };
    }
    case "enum": {
      const values = Object.values(d.entries as Record<string, unknown>);
      return values.every((v) => typeof v === "string") ? { type: "string", enum: values } : { enum: values };
    }
    case "array":
      return lengths(d, "minItems", "maxItems", { type: "array", items: toJsonSchema(d.element as Schema, io) });
    case "tuple": {
      const items = d.items as Schema[];
      return { type: "array", prefixItems: items.map((i) => toJsonSchema(i, io)), minItems: items.length };
    }
    case "object": {
      const properties: Record<string, JsonSchema> = {};
      const required: string[] = [];
      for (const [k, v] of Object.entries(d.shape as Record<string, Schema>)) {
        properties[k] = toJsonSchema(v, io);
        if (!isOptional(v, io)) required.push(k);
      }
      const out: JsonSchema = { type: "object", properties };
      if (required.length > 0) out.required = required;
      const catchall = d.catchall as Schema | undefined;
      const rest = catchall && defOf(catchall).type;
      if (rest === "never") out.additionalProperties = false;
      else if (catchall && rest !== "unknown") out.additionalProperties = toJsonSchema(catchall, io);
      return out;
    }
    case "record":
      return { type: "object", additionalProperties: toJsonSchema(d.valueType as Schema, io) };
    case "union":
      return { anyOf: (d.options as Schema[]).map((o) => toJsonSchema(o, io)) };
    case "intersection":
      return { allOf: [toJsonSchema(d.left as Schema, io), toJsonSchema(d.right as Schema, io)] };
    case "nullable":
      return { anyOf: [inner(), { type: "null" }] };
    case "default":
      return { ...inner(), default: d.defaultValue };
    case "optional":
    case "nonoptional":
    case "catch":
    case "readonly":
    case "prefault":
      return inner();
    case "pipe":
      return toJsonSchema(pipeSide(d, io), io);
    case "lazy":
      // The memoised inner schema (the getter would build another).
      return toJsonSchema((s._zod as unknown as { innerType: Schema }).innerType, io);
    default:
      return {};
  }
}

function typeName(v: string | number | boolean): string {
  return typeof v === "number" ? (Number.isInteger(v) ? "integer" : "number") : typeof v;
}

function isOptional(s: Schema, io: "input" | "output"): boolean {
  const d = defOf(s);
  if (d.type === "optional") return true;
  if (d.type === "default") return io === "input";
  if (d.type === "pipe") return isOptional(pipeSide(d, io), io);
  return z.safeParse(s, undefined).success;
}

// ── the document ──────────────────────────────────────────────────────────────────────

export interface OpenApiRoute {
  method: string;
  path: string;
  scope?: string | undefined;
  summary?: string | undefined;
  description?: string | undefined;
  operationId?: string | undefined;
  params?: Schema | undefined;
  body?: Schema | undefined;
  /** The route takes `Idempotency-Key` (documented as a header). */
  idempotency?: { doc: string } | undefined;
  query?: Schema | undefined;
  headers?: Record<string, string> | undefined;
  response?: Schema | undefined;
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
    const headers = { ...(r.idempotency ? { "Idempotency-Key": r.idempotency.doc } : {}), ...r.headers };
    for (const [name, description] of Object.entries(headers))
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
    const body = r.body;
    const op: Record<string, unknown> = {
      operationId: r.operationId ?? operationId(r.method, r.path),
      ...(r.summary ? { summary: r.summary } : {}),
      ...(r.description ? { description: r.description } : {}),
      ...(params.length ? { parameters: params } : {}),
      ...(body ? { requestBody: { required: true, content: { "application/json": { schema: toJsonSchema(body) } } } } : {}),
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
