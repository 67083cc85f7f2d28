// zod helpers for query parameters. The platform gives each value as a string, an array of
// strings (repeated key) or `true` (bare `?flag`); these read one value and convert it, so a
// route's query schema documents (OpenAPI) and checks the parameter in one place.
import * as z from "../zod";
import { typeError } from "../zod";

/** zod 3's preprocess: `fn` runs on the raw value, then `schema` checks what it returns. */
const preprocess = <S extends z.core.$ZodType>(fn: (v: unknown) => unknown, schema: S) => z.pipe(z.transform(fn), schema);

const one = (v: unknown): unknown => (Array.isArray(v) ? v[v.length - 1] : v);

/** `?dryRun`, `?dryRun=true|1|yes` → true; `false|0|no` → false. */
export const queryBool = () =>
  preprocess(
    (v) => {
      const x = one(v);
      if (x === true || x === undefined) return x;
      const s = String(x).toLowerCase();
      if (s === "" || s === "true" || s === "1" || s === "yes") return true;
      if (s === "false" || s === "0" || s === "no") return false;
      return x;
    },
    z.optional(z.boolean(typeError("must be true or false"))),
  );

/** An integer in [min, max]. */
export const queryInt = (min: number, max: number) =>
  preprocess(
    (v) => {
      const x = one(v);
      if (x === undefined) return undefined;
      return typeof x === "string" && /^-?\d+$/.test(x.trim()) ? Number(x) : x;
    },
    z.optional(z.integer(typeError("must be an integer")).check(z.gte(min), z.lte(max))),
  );

/** One string (the last one when repeated). */
export const queryStr = (max = 256) =>
  preprocess(
    (v) => {
      const x = one(v);
      return x === true ? "" : x;
    },
    z.optional(z.string().check(z.maxLength(max))),
  );

/**
 * All values of a repeated (or comma-separated) parameter, each at most `max` characters; at most
 * `maxItems` of them when given (e.g. `LIMITS.filterValues` for a list that becomes one Batch
 * Filter's Values).
 */
export const queryList = (max = 256, maxItems?: number) => {
  const list = z.array(z.string().check(z.maxLength(max)));
  return preprocess(
    (v) => {
      if (v === undefined) return undefined;
      const arr = Array.isArray(v) ? v : [v === true ? "" : String(v)];
      return arr
        .flatMap((s) => String(s).split(","))
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
    },
    z.optional(maxItems === undefined ? list : list.check(z.maxLength(maxItems, { message: `at most ${maxItems} values` }))),
  );
};
