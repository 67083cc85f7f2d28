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

/** A boolean variable: true/1/on/yes or false/0/off/no; unset or empty is `def`. */
export const envBool = (def: boolean) =>
  z.pipe(
    z.optional(z.enum(["true", "false", "1", "0", "on", "off", "yes", "no", ""])),
    z.transform((v) => (v === undefined || v === "" ? def : ["true", "1", "on", "yes"].includes(v))),
  );

/** An integer variable within [min, max]; unset or blank is `def`. */
export const envInt = (def: number, min: number, max: number) =>
  z.pipe(
    z.pipe(
      z.optional(z.string()),
      z.transform((v) => (v === undefined || v.trim() === "" ? String(def) : v.trim())),
    ),
    z.pipe(z.coerce.number<string>(), z.integer().check(z.gte(min), z.lte(max))),
  );
