// zod for every bundled schema: zod 4's `zod/mini` (functions instead of methods, so a bundle
// carries only what its schemas use, and no locale). Mini has no messages of its own ("Invalid
// input"), so this sets the English ones the APIs have always answered with; a schema's own
// message wins over these. Import it as `import * as z from ".../shared/zod"`, never "zod/mini"
// directly, so the messages are in place before any schema parses (a namespace import keeps
// esbuild's tree shaking: a re-exported `z` object would drag in all of zod, locales included).
import * as z from "zod/mini";

export * from "zod/mini";

type Issue = z.core.$ZodRawIssue;

const typeOf = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v === "number" && Number.isNaN(v) ? "nan" : typeof v);
const quoted = (values: readonly unknown[]) => values.map((v) => (typeof v === "string" ? `'${v}'` : String(v))).join(" | ");
const NOUN: Record<string, [string, string]> = { string: ["String", "character(s)"], array: ["Array", "element(s)"], set: ["Set", "element(s)"] };

function bound(i: Issue & { origin: string; inclusive?: boolean; exact?: boolean }, limit: unknown, big: boolean): string {
  const noun = NOUN[i.origin];
  if (noun) return `${noun[0]} must contain ${i.exact ? "exactly" : big ? "at most" : "at least"} ${limit} ${noun[1]}`;
  const cmp = big ? "less than" : "greater than";
  return `Number must be ${i.exact ? "exactly equal to" : i.inclusive ? `${cmp} or equal to` : cmp} ${limit}`;
}

/** The message of an issue without a message of its own, worded as zod 3 did. */
export function defaultMessage(i: Issue): string {
  switch (i.code) {
    case "invalid_type":
      if (i.input === undefined) return "Required";
      if (i.expected === "int" && typeof i.input === "number") return "Expected integer, received float";
      return `Expected ${i.expected === "int" ? "number" : i.expected}, received ${typeOf(i.input)}`;
    case "too_small":
      return bound(i, i.minimum, false);
    case "too_big":
      return bound(i, i.maximum, true);
    case "invalid_value":
      return (i.inst as z.core.$ZodType | undefined)?._zod.def.type === "literal"
        ? `Invalid literal value, expected ${JSON.stringify(i.values[0])}`
        : `Invalid enum value. Expected ${quoted(i.values)}, received ${typeof i.input === "string" ? `'${i.input}'` : String(i.input)}`;
    case "unrecognized_keys":
      return `Unrecognized key(s) in object: ${i.keys.map((k) => `'${k}'`).join(", ")}`;
    case "invalid_union":
      return i.discriminator !== undefined && Array.isArray(i.options) && i.options.length
        ? `Invalid discriminator value. Expected ${quoted(i.options)}`
        : "Invalid input";
    case "not_multiple_of":
      return `Number must be a multiple of ${i.divisor}`;
    case "invalid_key":
      // A record's key that broke its rule: the rule's own message, as zod 3 reported it.
      return i.issues[0]?.message ?? "Invalid input";
    case "invalid_format":
      return i.format === "regex" ? "Invalid" : `Invalid ${i.format}`;
    default:
      return "Invalid input";
  }
}

z.config({ customError: defaultMessage });

/** A schema's message for a value of the wrong type (zod 3's `invalid_type_error`); a missing one stays "Required". */
export const typeError = (message: string) => ({
  error: (i: Issue) => (i.code === "invalid_type" && i.input !== undefined ? message : undefined),
});

const INTEGER = z.check<number>((p) => {
  if (!Number.isInteger(p.value)) p.issues.push({ code: "invalid_type", expected: "int", input: p.value, continue: true });
});

/**
 * An integer, as zod 3's `z.number().int()`: a fraction is an issue that, unlike zod 4's `z.integer()`,
 * does not abort, so the object's cross-field rules still run and every broken rule is reported
 * at once. The OpenAPI converter documents it as `integer`.
 */
export const integer = (params?: Parameters<typeof z.number>[0]) => z.number(params).check(INTEGER);

export const isIntegerCheck = (c: unknown) => c === INTEGER;

/**
 * A schema built on its first use (a parse, or the OpenAPI document), not when its module is
 * evaluated: zod 4 builds every schema eagerly, and a cold start should build only what its first
 * event parses (one route's query, one Batch reply). Transparent to parsing, errors and the
 * document; the built schema is kept (zod's lazy memoises it on its definition).
 */
// Pure: a bundle drops a lazy schema nothing reads (esbuild), without marking each one.
export const lazy = /* @__NO_SIDE_EFFECTS__ */ <T extends z.core.SomeType>(build: () => T) => z.lazy(build);

/**
 * A schema's description, for the OpenAPI document only: `.check(…doc(DOCS && "text"))`. In a
 * bundle DOCS is false (shared/docs.ts), so the text drops out and no check is added; under tsx and
 * vitest it is `z.describe(text)`.
 */
export const doc = (text: string | false): Array<ReturnType<typeof z.describe>> => (text === false ? [] : [z.describe(text)]);
