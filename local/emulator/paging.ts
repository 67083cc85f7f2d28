// Offset/Limit paging and Batch's Filters ([{Name, Values}], ANDed across filters, ORed within).
import { LIMITS } from "../../shared/schemas/limits";
import { fail, type Obj, optArr, optInt, present, reqObj, reqStr } from "./validate";

export interface Paging {
  offset: number;
  limit: number;
}

/** Offset (default 0) and Limit (default 20, at most 100 unless said otherwise). */
export function paging(req: Obj, defaults: { limit?: number; max?: number } = {}): Paging {
  const max = defaults.max ?? LIMITS.pageLimit;
  const offset = optInt(req.Offset, "Offset", { min: 0 }) ?? 0;
  const limit = optInt(req.Limit, "Limit", { min: 0, max }) ?? defaults.limit ?? 20;
  return { offset, limit };
}

export const page = <T>(items: T[], p: Paging): T[] => items.slice(p.offset, p.offset + p.limit);

export interface FilterSpec {
  Name: string;
  Values: string[];
}

// Batch's answer to more is InvalidParameterValue.LimitExceeded; the numbers are ours (shared/schemas/limits.ts).
const MAX_FILTERS = LIMITS.filters;
const MAX_FILTER_VALUES = LIMITS.filterValues;

/**
 * Filters: `[{Name, Values}]`, each name among `names` (or `tag:<key>` when `tagFilters`).
 * Separate filters are ANDed, values inside one are ORed (see matchesFilters).
 */
export function optFilters(v: unknown, path: string, names: readonly string[], opts: { tagFilters?: boolean } = {}): FilterSpec[] | undefined {
  const arr = optArr(v, path, MAX_FILTERS);
  if (!arr) return undefined;
  return arr.map((f, i) => checkFilter(f, `${path}.${i}`, names, opts));
}

/** One Filter object (DescribeComputeEnvActivities takes a single Filter, not an array). */
export function optFilter(v: unknown, path: string, names: readonly string[]): FilterSpec | undefined {
  if (!present(v)) return undefined;
  if (Array.isArray(v)) fail("InvalidParameter", path, "must be one Filter object {Name, Values}, not an array");
  return checkFilter(v, path, names, {});
}

function checkFilter(f: unknown, path: string, names: readonly string[], opts: { tagFilters?: boolean }): FilterSpec {
  const o = reqObj(f, path);
  const name = reqStr(o.Name, `${path}.Name`);
  const isTag = opts.tagFilters && name.startsWith("tag:") && name.length > 4;
  if (!isTag && !names.includes(name))
    fail("InvalidFilter", `${path}.Name`, `unknown filter ${name}; known: ${[...names, ...(opts.tagFilters ? ["tag:<key>"] : [])].join(", ")}`);
  const values = optArr(o.Values, `${path}.Values`, MAX_FILTER_VALUES);
  if (!values) fail("MissingParameter", `${path}.Values`, "is required");
  return { Name: name, Values: values.map((x, j) => reqStr(x, `${path}.Values.${j}`, { allowEmpty: true })) };
}

/** True when every filter has a value among the record's values for that filter name. */
export function matchesFilters(filters: readonly FilterSpec[] | undefined, valuesOf: (name: string) => readonly string[]): boolean {
  if (!filters) return true;
  return filters.every((f) => {
    const have = valuesOf(f.Name);
    return f.Values.some((v) => have.includes(v));
  });
}

/** Values of the tag filters (`tag-key`, `tag-value`, `tag:<key>`) for a record's tags; [] for other names. */
export function tagFilterValues(tags: ReadonlyArray<{ Key: string; Value: string }>, name: string): string[] {
  if (name === "tag-key") return tags.map((t) => t.Key);
  if (name === "tag-value") return tags.map((t) => t.Value);
  if (name.startsWith("tag:")) {
    const key = name.slice(4);
    return tags.filter((t) => t.Key === key).map((t) => t.Value);
  }
  return [];
}

/** `EnvIds`/`JobIds` and `Filters` together are refused. */
export function exclusive(req: Obj, a: string, b: string): void {
  if (present(req[a]) && present(req[b])) fail("InvalidParameter.InvalidParameterCombination", `${a}, ${b}`, `give ${a} or ${b}, not both`);
}
