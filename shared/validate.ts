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
export function validate<S extends z.ZodMiniType, C = undefined>(
  schema: S,
  value: unknown,
  rules?: ((data: z.output<S>, sink: RuleSink & C) => void) | undefined,
  extra: readonly FieldIssue[] = [],
  context?: C,
): Validated<z.output<S>> {
  const broken: FieldIssue[] = [];
  const warnings: FieldIssue[] = [];
  const sink = {
    ...context,
    issue: (path: string, message: string) => void broken.push({ path, message }),
    warn: (path: string, message: string) => void warnings.push({ path, message }),
  } as RuleSink & C;
  let parsed = z.safeParse(schema, value);
  // A body of the right shape: the rules on what parsed, as the refinement below would run them,
  // without its cost on every request.
  if (rules && parsed.success) runRules(rules as Rules, parsed.data, sink);
  else if (rules) {
    // The schema with the rules as a refinement is built once per (schema, rules) and kept: building
    // it per request cost more than the parse. This request's sink reaches it through `active`
    // (parsing is synchronous, so no other request's sink can be in place meanwhile).
    const outer = active;
    active = { rules: rules as Rules, sink };
    try {
      parsed = z.safeParse(refined(schema, rules as Rules), value) as typeof parsed;
    } finally {
      active = outer;
    }
  }
  const issues = [...(parsed.success ? [] : issuesFromZod(parsed.error.issues)), ...broken, ...extra];
  if (issues.length > 0 || !parsed.success) throw validationError(issues);
  return { data: parsed.data as z.output<S>, warnings };
}

type Rules = (data: unknown, sink: RuleSink) => void;
let active: { rules: Rules; sink: RuleSink } | undefined;
const built = new WeakMap<z.ZodMiniType, WeakMap<Rules, z.ZodMiniType>>();

function refined(schema: z.ZodMiniType, rules: Rules): z.ZodMiniType {
  let byRules = built.get(schema);
  if (!byRules) {
    byRules = new WeakMap();
    built.set(schema, byRules);
  }
  let s = byRules.get(rules);
  if (!s) {
    s = schema.check(
      z.superRefine((data) => {
        if (active) runRules(active.rules, data, active.sink);
      }),
    );
    byRules.set(rules, s);
  }
  return s;
}

function runRules(rules: Rules, data: unknown, sink: RuleSink): void {
  const r: unknown = rules(data, sink);
  // zod parses synchronously here; a promise would surface as zod's own async error (a 500).
  if (r instanceof Promise) throw new Error("validate: body rules must be synchronous");
}
