// serverless.yml, read the way the local stack and the deploy need it: parsed with `yaml`, validated
// with zod, `${env:NAME}` / `${env:NAME, 'fallback'}` resolved like Serverless v3 does (an unset
// variable without a fallback is an error). The Serverless Framework is never loaded: the file
// only keeps its shape. Every error names the file, the line and the field.
//
// Triggers: `url: true` on a function = a Function URL (SCF trigger type `http`; the function
// routes by path itself); `cmq` (a topic the function is pushed to over HTTP, so it implies a
// URL) and `timer`. `apigw` events are refused: SCF creates no API Gateway triggers any more.
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { z } from "zod";
// the same English messages as the functions' schemas (classic zod would word them its own way)
import "../../shared/zod";
import { type CronSchedule, parseCron } from "./cron";

export class ServerlessConfigError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = "ServerlessConfigError";
  }
}

export interface CmqTrigger {
  kind: "cmq";
  name: string;
  enabled: boolean;
  topic: string;
  line: number;
}

export interface TimerTrigger {
  kind: "timer";
  name: string;
  enabled: boolean;
  cronExpression: string;
  cron: CronSchedule;
  /** The Timer event's `Message` (the trigger's argument). */
  message: string;
  line: number;
}

export type Trigger = CmqTrigger | TimerTrigger;

export interface FunctionConfig {
  /** Key under `functions:`, e.g. `jobs`. */
  name: string;
  /** The deployed SCF name, `<service>-<stage>-<name>`. */
  scfName: string;
  handler: string;
  /** serverless.yml `description`, "" when absent. */
  description: string;
  /** The function's execution role: its own `role`, else `provider.role`. */
  role: string | undefined;
  /** Whether it has a Function URL: `url: true`, or a cmq event (the topic pushes to the URL). */
  url: boolean;
  /** Absolute path of the file the handler names inside the unpacked artifact (`dist/jobs/index.js`). */
  entryFile: string;
  handlerExport: string;
  /** Absolute path of the deployable zip. */
  artifact: string;
  runtime: string;
  memorySize: number;
  timeout: number;
  /** Provider variables, then the function's, with `${env:…}` resolved. */
  environment: Record<string, string>;
  triggers: Trigger[];
  line: number;
}

export interface StackConfig {
  file: string;
  service: string;
  stage: string;
  region: string;
  runtime: string;
  /** `provider.namespace`, default "default" (the SCF namespace). */
  namespace: string;
  functions: FunctionConfig[];
}

const RUNTIMES = ["Nodejs10.15", "Nodejs12.16", "Nodejs14.18", "Nodejs16.13", "Nodejs18.15"] as const;
/**
 * SCF's rule for a function's Description (CreateFunction / UpdateFunctionConfiguration models:
 * "最大支持 1000 个英文字母、数字、空格、逗号、换行符和英文句号，支持中文"): letters, digits,
 * spaces, commas, newlines, full stops and Chinese characters, at most 1000.
 */
export const SCF_DESCRIPTION = { pattern: /^[A-Za-z0-9 ,.\n\u4e00-\u9fff]*$/, max: 1000, rule: "letters, digits, spaces, commas, full stops and newlines (SCF's rule), at most 1000" } as const;
const NAME = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,59}$/, "letters, digits, _ and -, starting with a letter, at most 60");
const MEMORY = z
  .number()
  .int()
  .refine((v) => v === 64 || (v >= 128 && v <= 3072 && v % 128 === 0), "SCF memory is 64 or 128..3072 MB in steps of 128");
const TIMEOUT = z.number().int().min(1, "SCF timeout is 1..900 s").max(900, "SCF timeout is 1..900 s");
const VARIABLES = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "variable names are letters, digits and _"),
  z.union([z.string(), z.number(), z.boolean()]).transform(String),
);
const ENVIRONMENT = z.object({ variables: VARIABLES.default({}) }).strict();

const CmqSchema = z
  .object({
    name: NAME,
    parameters: z.object({ name: z.string().min(1).max(64), enable: z.boolean().default(true) }).strict(),
  })
  .strict();

const TimerSchema = z
  .object({
    name: NAME,
    parameters: z
      .object({
        cronExpression: z.string().min(1),
        enable: z.boolean().default(true),
        argument: z.string().max(4096, "a timer argument is at most 4 KB").default(""),
      })
      .strict(),
  })
  .strict();

export const APIGW_REFUSED =
  "API Gateway triggers can no longer be created (SCF: none new since 2024-07-01): give the function `url: true`, its routes are in code";

const EventSchema = z
  .object({
    apigw: z
      .unknown()
      .superRefine((_v, ctx) => ctx.addIssue({ code: "custom", message: APIGW_REFUSED }))
      .optional(),
    cmq: CmqSchema.optional(),
    timer: TimerSchema.optional(),
  })
  .strict()
  .refine((e) => Object.keys(e).length === 1, { message: "each event is exactly one of cmq or timer" });

/** `url: true`, or `url: {}` (a Function URL with the defaults). */
const UrlSchema = z.union(
  [
    z.boolean(),
    z
      .object({})
      .strict()
      .transform(() => true),
  ],
  {
    error: "url is true (the function gets a Function URL) or an empty object",
  },
);

const FunctionSchema = z
  .object({
    handler: z.string().regex(/^[A-Za-z0-9_./-]+\.[A-Za-z_$][A-Za-z0-9_$]*$/, "a handler looks like index.main_handler"),
    description: z.string().max(SCF_DESCRIPTION.max, SCF_DESCRIPTION.rule).regex(SCF_DESCRIPTION.pattern, SCF_DESCRIPTION.rule).optional(),
    role: z.string().min(1).optional(),
    url: UrlSchema.optional(),
    runtime: z.enum(RUNTIMES).optional(),
    memorySize: MEMORY.optional(),
    timeout: TIMEOUT.optional(),
    package: z.object({ artifact: z.string().regex(/\.zip$/, "the artifact is the built zip, e.g. dist/jobs.zip") }).passthrough(),
    environment: ENVIRONMENT.optional(),
    events: z.array(EventSchema).default([]),
  })
  .strict();

const ConfigSchema = z
  .object({
    service: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,127}$/, "letters, digits, _ and -, starting with a letter"),
    provider: z
      .object({
        name: z.literal("tencent"),
        runtime: z.enum(RUNTIMES),
        region: z
          .string()
          .regex(/^[a-z]{2}-[a-z]+(-[a-z]+)?$/, "a region like ap-guangzhou")
          .default("ap-guangzhou"),
        stage: NAME.default("dev"),
        namespace: z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,30}$/, "an SCF namespace: letters, digits, _ and -")
          .default("default"),
        role: z.string().min(1).optional(),
        memorySize: MEMORY.default(128),
        timeout: TIMEOUT.default(3),
        environment: ENVIRONMENT.optional(),
      })
      .passthrough(),
    // Not used: the file is never handed to the framework. Any list is accepted.
    plugins: z.array(z.string()).optional(),
    package: z.object({ individually: z.boolean().optional() }).passthrough().optional(),
    functions: z.record(NAME, FunctionSchema).refine((f) => Object.keys(f).length > 0, "at least one function"),
  })
  .passthrough();

const ENV_REF = /^\s*env:([A-Za-z_][A-Za-z0-9_]*)\s*(?:,\s*(?:'([^']*)'|"([^"]*)"|([^,'"]*?)))?\s*$/;

/**
 * Resolves `${env:…}` in every string value (a quoted fallback may contain braces: `'{}'`);
 * other variable sources are refused (the stack cannot resolve them).
 */
function resolveVariables(
  value: unknown,
  env: NodeJS.ProcessEnv,
  path: Array<string | number>,
  fail: (path: Array<string | number>, msg: string) => never,
): unknown {
  if (typeof value === "string") return resolveString(value, env, (msg) => fail(path, msg));
  if (Array.isArray(value)) return value.map((v, i) => resolveVariables(v, env, [...path, i], fail));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveVariables(v, env, [...path, k], fail)]));
  }
  return value;
}

function resolveString(value: string, env: NodeJS.ProcessEnv, fail: (msg: string) => never): string {
  let out = "";
  let i = 0;
  while (i < value.length) {
    const start = value.indexOf("${", i);
    if (start < 0) break;
    out += value.slice(i, start);
    let j = start + 2;
    let quote: string | undefined;
    for (; j < value.length; j++) {
      const c = value[j];
      if (quote) {
        if (c === quote) quote = undefined;
      } else if (c === "'" || c === '"') quote = c;
      else if (c === "}") break;
    }
    if (j >= value.length) fail(`unterminated \${ in ${JSON.stringify(value)}`);
    const inner = value.slice(start + 2, j);
    const m = ENV_REF.exec(inner);
    if (!m) fail(`cannot resolve \${${inner}}: only \${env:NAME} and \${env:NAME, 'fallback'} are supported`);
    const [, name, q1, q2, bare] = m as RegExpExecArray;
    const v = env[name!];
    const fallback = q1 ?? q2 ?? (bare !== undefined && bare !== "" ? bare : undefined);
    if (v === undefined && fallback === undefined) fail(`environment variable ${name} is not set and \${env:${name}} has no fallback`);
    out += v ?? fallback;
    i = j + 1;
  }
  return out + value.slice(i);
}

export function loadServerlessConfig(file: string, env: NodeJS.ProcessEnv = process.env): StackConfig {
  return parseServerlessConfig(readFileSync(file, "utf8"), { file, env });
}

export function parseServerlessConfig(text: string, opts: { file: string; env?: NodeJS.ProcessEnv }): StackConfig {
  const file = resolve(opts.file);
  const root = dirname(file);
  const shown = file.split("/").pop() ?? "serverless.yml";
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line;
    throw new ServerlessConfigError(`${shown}${line ? `:${line}` : ""}: invalid YAML: ${e.message.split("\n")[0]}`, line);
  }
  const lineOf = (path: ReadonlyArray<string | number>): number => {
    for (let p = [...path]; ; p = p.slice(0, -1)) {
      const node = p.length === 0 ? doc.contents : doc.getIn(p, true);
      const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
      if (range) return lineCounter.linePos(range[0]).line;
      if (p.length === 0) return 1;
    }
  };
  const fail = (path: ReadonlyArray<string | number>, msg: string): never => {
    const line = lineOf(path);
    throw new ServerlessConfigError(`${shown}:${line}: ${formatPath(path)}: ${msg}`, line);
  };

  const raw = resolveVariables(doc.toJS(), opts.env ?? process.env, [], fail);
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return fail(issue.path as Array<string | number>, issue.message);
  }
  const cfg = parsed.data;
  const providerVars = cfg.provider.environment?.variables ?? {};
  const functions: FunctionConfig[] = [];

  for (const [name, fn] of Object.entries(cfg.functions)) {
    const at = ["functions", name];
    const scfName = `${cfg.service}-${cfg.provider.stage}-${name}`;
    if (scfName.length > 60) fail(at, `the deployed name ${scfName} is longer than SCF's 60 characters`);
    const dot = fn.handler.lastIndexOf(".");
    const artifact = isAbsolute(fn.package.artifact) ? fn.package.artifact : resolve(root, fn.package.artifact);
    const codeDir = artifact.replace(/\.zip$/, "");
    const triggers: Trigger[] = [];
    const seen = new Set<string>();
    for (const [i, ev] of fn.events.entries()) {
      const evAt = [...at, "events", i];
      if (ev.cmq) {
        add(ev.cmq.name, [...evAt, "cmq", "name"]);
        triggers.push({ kind: "cmq", name: ev.cmq.name, enabled: ev.cmq.parameters.enable, topic: ev.cmq.parameters.name, line: lineOf(evAt) });
      } else if (ev.timer) {
        add(ev.timer.name, [...evAt, "timer", "name"]);
        const cronAt = [...evAt, "timer", "parameters", "cronExpression"];
        let cron: CronSchedule | undefined;
        try {
          cron = parseCron(ev.timer.parameters.cronExpression);
        } catch (e) {
          fail(cronAt, `invalid cron ${JSON.stringify(ev.timer.parameters.cronExpression)}: ${(e as Error).message}`);
        }
        triggers.push({
          kind: "timer",
          name: ev.timer.name,
          enabled: ev.timer.parameters.enable,
          cronExpression: ev.timer.parameters.cronExpression,
          cron: cron as CronSchedule,
          message: ev.timer.parameters.argument,
          line: lineOf(cronAt),
        });
      }
    }
    functions.push({
      name,
      scfName,
      handler: fn.handler,
      description: fn.description ?? "",
      role: fn.role ?? cfg.provider.role,
      url: fn.url === true || triggers.some((t) => t.kind === "cmq"),
      entryFile: join(codeDir, `${fn.handler.slice(0, dot)}.js`),
      handlerExport: fn.handler.slice(dot + 1),
      artifact,
      runtime: fn.runtime ?? cfg.provider.runtime,
      memorySize: fn.memorySize ?? cfg.provider.memorySize,
      timeout: fn.timeout ?? cfg.provider.timeout,
      environment: { ...providerVars, ...(fn.environment?.variables ?? {}) },
      triggers,
      line: lineOf(at),
    });

    function add(triggerName: string, path: Array<string | number>): void {
      if (seen.has(triggerName)) fail(path, `trigger name ${triggerName} is used twice in function ${name}`);
      seen.add(triggerName);
    }
  }

  return {
    file,
    service: cfg.service,
    stage: cfg.provider.stage,
    region: cfg.provider.region,
    runtime: cfg.provider.runtime,
    namespace: cfg.provider.namespace,
    functions,
  };
}

function formatPath(path: ReadonlyArray<string | number>): string {
  if (path.length === 0) return "(root)";
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}
