// Resource tags: Key 1-127 characters, Value at most 255, keys unique, at most 10 a resource.
import * as z from "../zod";

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
