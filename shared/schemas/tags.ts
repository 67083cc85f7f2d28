// Resource tags: Key 1-127 characters, Value at most 255, keys unique, at most 10 a resource.
// And the tag filters of the list queries (`GET /jobs?tag=`, `GET /envs?tag=`), one home for both.
import * as z from "../zod";
import { validationError } from "../errors";
import { LIMITS } from "./limits";

export const TAG_KEY_MAX = 127;
export const TAG_VALUE_MAX = 255;

export const TagInputSchema = z.strictObject({
  Key: z.string().check(z.minLength(1, { message: "must not be empty" }), z.maxLength(TAG_KEY_MAX, { message: `must be at most ${TAG_KEY_MAX} characters` })),
  Value: z.string().check(z.maxLength(TAG_VALUE_MAX, { message: `must be at most ${TAG_VALUE_MAX} characters` })),
});

/** Indexes of tags whose key an earlier tag already has. */
export function duplicateTagKeys(tags: ReadonlyArray<{ Key: string }>): number[] {
  return tags.flatMap((t, i) => (tags.findIndex((x) => x.Key === t.Key) !== i ? [i] : []));
}

// ── tag filters of list queries ───────────────────────────────────────────────────────

/** Resources that have the tag `key` (with `value`, when given). */
export interface TagFilter {
  key: string;
  value?: string | undefined;
}

/**
 * One `?tag=` value: `key=value` (the tag with that value; the value may be empty or hold `=`) or a
 * bare `key` (the key with any value). The rule broken otherwise: an empty key (`?tag==`, `?tag==v`),
 * a key or value longer than a tag's.
 */
export function parseTagFilter(s: string): TagFilter | { rule: string } {
  const eq = s.indexOf("=");
  const key = eq < 0 ? s : s.slice(0, eq);
  const value = eq < 0 ? undefined : s.slice(eq + 1);
  const shown = JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);
  if (key === "") return { rule: `${shown} has an empty key: a tag filter is key=value or key` };
  if (key.length > TAG_KEY_MAX) return { rule: `${shown}: a tag key is at most ${TAG_KEY_MAX} characters` };
  if (value !== undefined && value.length > TAG_VALUE_MAX) return { rule: `${shown}: a tag value is at most ${TAG_VALUE_MAX} characters` };
  return value === undefined ? { key } : { key, value };
}

/** Batch's Filter for a tag filter: `tag:<key>` with the value, or `tag-key` with the key. */
export const tagFilterToBatch = (t: TagFilter): { Name: string; Values: string[] } =>
  t.value === undefined ? { Name: "tag-key", Values: [t.key] } : { Name: `tag:${t.key}`, Values: [t.value] };

/** Each tag filter is one Batch Filter (filters are ANDed), so a query holds at most this many. */
export const tooManyTagFilters = (count: number, max: number = LIMITS.filters): string | undefined =>
  count > max
    ? `at most ${max} tag filters (${count} given): each is one Batch filter, and a request takes at most ${LIMITS.filters} filters`
    : undefined;

/**
 * The check of a list query's `tag` values (after queryList): every value parses (parseTagFilter) and
 * there are at most LIMITS.filters of them. Issues are at the parameter itself (`query.tag`).
 */
export const tagFiltersCheck = () =>
  z.superRefine((list: string[] | undefined, ctx) => {
    if (!list) return;
    const many = tooManyTagFilters(list.length);
    if (many) return void ctx.addIssue({ code: "custom", message: many, input: list });
    for (const t of list) {
      const f = parseTagFilter(t);
      if ("rule" in f) ctx.addIssue({ code: "custom", message: f.rule, input: t });
    }
  });

/**
 * The Batch filters of a list query's `tag` values, after the query's `others` filters (zone, name, …):
 * 400 at `query.tag` for a value that does not parse, or for more tag filters than fit beside the others.
 */
export function tagFiltersOf(tags: readonly string[] | undefined, others: number): Array<{ Name: string; Values: string[] }> {
  const out: Array<{ Name: string; Values: string[] }> = [];
  for (const t of tags ?? []) {
    const f = parseTagFilter(t);
    if ("rule" in f) throw validationError([{ path: "query.tag", message: f.rule }]);
    out.push(tagFilterToBatch(f));
  }
  const many = tooManyTagFilters(out.length, LIMITS.filters - others);
  if (many) throw validationError([{ path: "query.tag", message: `${many}; this query sends ${others} other filters` }]);
  return out;
}
