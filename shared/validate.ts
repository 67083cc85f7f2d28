// One validation pass for a request body: the shape (a zod schema) and the rules that span
// fields (a function of the body and of what the request says besides it: region, idempotency)
// report together, so one 400 lists every broken rule. The rules run as a zod refinement on
// whatever the shape pass could read (format checks such as a regex do not stop them; a missing
// or mistyped member does, and is reported by the shape).
import * as z from "./zod";
import { type FieldIssue, issuesFromZod, validationError } from "./errors";

/** Where rules report: a broken rule (400) or a warning returned with the answer. */
export interface RuleSink {
  issue(path: string, message: string): void;
  warn(path: string, message: string): void;
}

export interface Validated<T> {
  data: T;
  warnings: FieldIssue[];
}

/**
 * Parses `value` with `schema`, then `rules` on what parsed; throws a 400 validation_failed
 * listing the shape's issues, the rules' and `extra` (problems found outside the body, e.g. a
 * header), in that order.
 */
export function validate<S extends z.ZodMiniType>(
  schema: S,
  value: unknown,
  rules?: ((data: z.output<S>, sink: RuleSink) => void) | undefined,
  extra: readonly FieldIssue[] = [],
): Validated<z.output<S>> {
  const broken: FieldIssue[] = [];
  const warnings: FieldIssue[] = [];
  const sink: RuleSink = {
    issue: (path, message) => void broken.push({ path, message }),
    warn: (path, message) => void warnings.push({ path, message }),
  };
  const checked = rules ? schema.check(z.superRefine((data) => rules(data as z.output<S>, sink))) : schema;
  const parsed = z.safeParse(checked, value);
  const issues = [...(parsed.success ? [] : issuesFromZod(parsed.error.issues)), ...broken, ...extra];
  if (issues.length > 0 || !parsed.success) throw validationError(issues);
  return { data: parsed.data as z.output<S>, warnings };
}
