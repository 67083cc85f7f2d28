// Configuration is read from the environment once per container and parsed with zod;
// a bad value stops the function with the variable's name and the rule it broke.
import * as z from "./zod";
import { AppError } from "./errors";

/**
 * Parses the environment with `schema`. A variable set to the empty string counts as unset:
 * deploy tools write `KEY: ${env:KEY}` lines that resolve to "" when the operator left KEY out.
 */
export function parseEnv<S extends z.core.$ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const r = z.safeParse(schema, withoutEmpty(env));
  if (r.success) return r.data;
  const details = r.error.issues.map((i) => `${i.path.join(".") || "(env)"}: ${i.message}`).join("; ");
  throw new AppError("config_invalid", `invalid configuration: ${details}`, { status: 500, expose: false });
}

/** Parses a JSON string variable with a schema, naming the variable and the field on failure. */
export function parseJsonVar<S extends z.core.$ZodType>(name: string, raw: string | undefined, schema: S): z.infer<S> {
  let value: unknown;
  try {
    value = raw === undefined || raw.trim() === "" ? undefined : JSON.parse(raw);
  } catch (e) {
    throw new AppError("config_invalid", `${name} is not valid JSON: ${(e as Error).message}`, {
      status: 500,
      expose: false,
    });
  }
  const r = z.safeParse(schema, value);
  if (r.success) return r.data;
  const details = r.error.issues.map((i) => `${name}.${i.path.join(".")}: ${i.message}`).join("; ");
  throw new AppError("config_invalid", `invalid ${name}: ${details}`, { status: 500, expose: false });
}

export function withoutEmpty(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ""));
}
