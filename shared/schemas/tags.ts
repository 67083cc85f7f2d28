// Resource tags: Key 1-127 characters, Value at most 255, keys unique, at most 10 a resource.
import { z } from "zod";

export const TAG_KEY_MAX = 127;
export const TAG_VALUE_MAX = 255;

export const TagInputSchema = z
  .object({
    Key: z.string().min(1, { message: "must not be empty" }).max(TAG_KEY_MAX, { message: `must be at most ${TAG_KEY_MAX} characters` }),
    Value: z.string().max(TAG_VALUE_MAX, { message: `must be at most ${TAG_VALUE_MAX} characters` }),
  })
  .strict();

/** Indexes of tags whose key an earlier tag already has. */
export function duplicateTagKeys(tags: ReadonlyArray<{ Key: string }>): number[] {
  return tags.flatMap((t, i) => (tags.findIndex((x) => x.Key === t.Key) !== i ? [i] : []));
}
