// zod helpers for query parameters. The platform gives each value as a string, an array of
// strings (repeated key) or `true` (bare `?flag`); these read one value and convert it, so a
// route's query schema documents (OpenAPI) and checks the parameter in one place.
import { z } from "zod";

const one = (v: unknown): unknown => (Array.isArray(v) ? v[v.length - 1] : v);

/** `?dryRun`, `?dryRun=true|1|yes` → true; `false|0|no` → false. */
export const queryBool = () =>
  z.preprocess((v) => {
    const x = one(v);
    if (x === true || x === undefined) return x;
    const s = String(x).toLowerCase();
    if (s === "" || s === "true" || s === "1" || s === "yes") return true;
    if (s === "false" || s === "0" || s === "no") return false;
    return x;
  }, z.boolean({ invalid_type_error: "must be true or false" }).optional());

/** An integer in [min, max]. */
export const queryInt = (min: number, max: number) =>
  z.preprocess(
    (v) => {
      const x = one(v);
      if (x === undefined) return undefined;
      return typeof x === "string" && /^-?\d+$/.test(x.trim()) ? Number(x) : x;
    },
    z.number({ invalid_type_error: "must be an integer" }).int().min(min).max(max).optional(),
  );

/** One string (the last one when repeated). */
export const queryStr = (max = 256) =>
  z.preprocess((v) => {
    const x = one(v);
    return x === true ? "" : x;
  }, z.string().max(max).optional());

/** All values of a repeated (or comma-separated) parameter. */
export const queryList = (max = 256) =>
  z.preprocess((v) => {
    if (v === undefined) return undefined;
    const arr = Array.isArray(v) ? v : [v === true ? "" : String(v)];
    return arr.flatMap((s) => String(s).split(",")).map((s) => s.trim()).filter((s) => s.length > 0);
  }, z.array(z.string().max(max)).optional());
