// ListFunctions: a namespace's functions, found by part of the name (SearchKey) or description,
// filtered by Status/Runtime/Type or tag-<key>, ordered and paged as the SDK model describes.
import type { EmuContext } from "../context";
import { page, paging } from "../paging";
import { checkKnownKeys, fail, isObj, type Obj, optArr, optStr } from "../validate";
import { settle } from "./lifecycle";
import type { ScfFunctionRecord } from "./records";
import * as rules from "./rules";
import { listedView } from "./views";

const FILTER_FIELDS: Record<string, (f: ScfFunctionRecord) => string> = {
  Status: (f) => f.status,
  Runtime: (f) => f.runtime,
  Type: (f) => f.type,
  FunctionType: (f) => f.type,
};
const ORDER_BY: Record<string, (f: ScfFunctionRecord) => string | number> = {
  AddTime: (f) => f.addedAt,
  ModTime: (f) => f.modifiedAt,
  FunctionName: (f) => f.name,
};

/** A filter as a predicate: a field above, or `tag-<key>` matching the tag's value. */
function filterOf(f: unknown, i: number): (fn: ScfFunctionRecord) => boolean {
  const name = isObj(f) && typeof f.Name === "string" ? f.Name : "";
  const values = isObj(f) && Array.isArray(f.Values) ? f.Values : undefined;
  const field = name.startsWith("tag-") ? (fn: ScfFunctionRecord) => fn.tags?.find((t) => t.Key === name.slice(4))?.Value : FILTER_FIELDS[name];
  if (!field || !values) fail("InvalidParameterValue.Filters", `Filters.${i}`, `must be {Name, Values} with Name one of ${Object.keys(FILTER_FIELDS).join(", ")} or tag-<key>`);
  return (fn) => values.includes(field(fn));
}

function compare(orderBy: string, desc: boolean) {
  const key = ORDER_BY[orderBy] ?? fail("InvalidParameterValue.Orderby", "Orderby", `must be one of ${Object.keys(ORDER_BY).join(", ")}`);
  return (a: ScfFunctionRecord, b: ScfFunctionRecord) => {
    const [x, y] = [key(a), key(b)];
    const c = x < y ? -1 : x > y ? 1 : a.name.localeCompare(b.name);
    return desc ? -c : c;
  };
}

export function listFunctions(ctx: EmuContext, req: Obj): Obj {
  checkKnownKeys(req, ["Order", "Orderby", "Offset", "Limit", "SearchKey", "Namespace", "Description", "Filters"]);
  const namespace = rules.namespace(req.Namespace);
  const search = optStr(req.SearchKey, "SearchKey") ?? "";
  const described = optStr(req.Description, "Description") ?? "";
  const desc = (optStr(req.Order, "Order", { oneOf: ["ASC", "DESC"] }) || "DESC") === "DESC";
  const order = compare(optStr(req.Orderby, "Orderby") || "AddTime", desc);
  const filters = (optArr(req.Filters, "Filters", 10, "InvalidParameterValue.Filters") ?? []).map(filterOf);
  const all = [...ctx.store.keyed.scfFunction.values()]
    .filter((f) => f.region === ctx.region && f.namespace === namespace && f.name.includes(search) && f.description.includes(described))
    .map((f) => settle(ctx, f))
    .filter((f) => filters.every((keep) => keep(f)))
    .sort(order);
  return { TotalCount: all.length, Functions: page(all, paging(req, { max: 100 })).map(listedView) };
}
