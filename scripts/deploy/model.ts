// What the deploy wants (from serverless.yml and the built zips) and what the account has (read
// through the SCF and TDMQ APIs), in the few words the plan compares. No SDK and no I/O here
// beyond reading the zips: `desiredFrom` is the one place serverless.yml becomes SCF settings.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { relative } from "node:path";
import type { FunctionConfig, StackConfig } from "../../local/stack/serverless-config";
import { RegionListSchema } from "../../shared/batch/regions";
import { REGION } from "../../shared/schemas/region";
import * as z from "../../shared/zod";

/**
 * Tags set on every function the deploy creates: its service and its stage (two tags, so that
 * service `a-b` stage `c` and service `a` stage `b-c` never own each other's functions). Only
 * functions carrying both are ever deleted, and an existing function without them is not
 * changed unless `--adopt` says so.
 */
export const OWNER_TAGS = { service: "batch-scf-service", stage: "batch-scf-stage" } as const;
/** The env var holding the secret that a CMQ push must carry in its URL path (`/cmq/<token>`). */
export const PUSH_TOKEN_VAR = "CMQ_PUSH_TOKEN";
/** SCF names a function's URL trigger this way (terraform-provider-tencentcloud sends the same). */
export const URL_TRIGGER_NAME = "url-trigger";
/** Variables SCF sets itself; a function cannot set them (SCF refuses the prefixes). */
export const RESERVED_VAR_PREFIXES = ["SCF_", "QCLOUD_", "TENCENTCLOUD_"] as const;
/**
 * Inline upload limits of the SCF API (SDK models: `Code.ZipFile` "zip包大小上限为 50MB" for
 * CreateFunction, `UpdateFunctionCodeRequest.ZipFile` "最大支持20M"): the smaller one, so that a
 * deploy that creates also updates later.
 */
export const MAX_INLINE_ZIP_BYTES = 20 * 1024 * 1024;

export interface FunctionSettings {
  Runtime: string;
  Handler: string;
  MemorySize: number;
  Timeout: number;
  /** Undefined: the file names no role, so the deploy leaves the account's as it is. */
  Role: string | undefined;
  Description: string;
  Environment: Record<string, string>;
}

export interface CodeArtifact {
  /** As shown to people: relative to the working directory. */
  shown: string;
  path: string;
  sha256: string;
  bytes: number;
}

export type TriggerSpec =
  | { Type: "timer"; TriggerName: string; TriggerDesc: string; CustomArgument: string; Enable: boolean }
  | { Type: "http"; TriggerName: string; TriggerDesc: string; CustomArgument: ""; Enable: true };

export interface SubscriptionSpec {
  topic: string;
  /** `<scf function name>`: unique per topic and says whose it is (TDMQ: ≤ 64 of letters, digits, - and _). */
  name: string;
}

export interface DesiredFunction {
  /** Key under `functions:` (`jobs`). */
  key: string;
  /** The SCF name, `<service>-<stage>-<key>`. */
  name: string;
  line: number;
  code: CodeArtifact;
  settings: FunctionSettings;
  triggers: TriggerSpec[];
  subscriptions: SubscriptionSpec[];
  /** Set when the function receives topic pushes: it needs the push token in its environment. */
  needsPushToken: boolean;
}

export interface Desired {
  file: string;
  service: string;
  stage: string;
  /** Where the functions are. */
  region: string;
  /**
   * Where the file's topics and their subscriptions are: every region the functions serve
   * (BATCH_REGIONS, default `region`), since Batch publishes an env's or job's events in its own region.
   */
  eventRegions: string[];
  namespace: string;
  /** `<service>-<stage>`: the name prefix of this file's functions. */
  owner: string;
  /** Topics this file's `cmq` events name, enabled or not: where its subscriptions may be. */
  topics: string[];
  functions: DesiredFunction[];
}

export interface ActualTrigger {
  Type: string;
  TriggerName: string;
  TriggerDesc: string;
  CustomArgument: string;
  Enable: boolean;
}

export interface ActualFunction {
  name: string;
  status: string;
  statusReasons: Array<{ ErrorCode?: string | undefined; ErrorMessage?: string | undefined }>;
  settings: FunctionSettings;
  /** GetFunctionAddress's CodeSha256 (hex or base64: both are compared). */
  codeSha256: string | undefined;
  triggers: ActualTrigger[];
  tags: Record<string, string>;
}

export interface ActualSubscription {
  region: string;
  topic: string;
  name: string;
  protocol: string;
  endpoint: string;
  format: string;
}

export interface Actual {
  functions: Map<string, ActualFunction>;
  /** Keyed `region/topic` (topicKey): the file's topics in each region read, and whether each exists. */
  topics: Map<string, boolean>;
  /**
   * Keyed `region/topic/name` (subscriptionKey): the subscriptions on the file's topics named after
   * this file's functions (orphans included), in the served regions and in those the deployed
   * functions served before (their BATCH_REGIONS).
   */
  subscriptions: Map<string, ActualSubscription>;
  /** Functions the file names that exist but do not carry this file's tags. */
  unowned: string[];
  /** Functions tagged as this file's that the file no longer names. */
  orphans: ActualFunction[];
}

export class DeployError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeployError";
  }
}

/** The Function URL trigger: public, answered by the function's own API-key auth. */
export const URL_TRIGGER_DESC = { AuthType: "NONE", NetConfig: { EnableIntranet: false, EnableExtranet: true } } as const;

export const topicKey = (region: string, topic: string): string => `${region}/${topic}`;
export const subscriptionKey = (region: string, topic: string, name: string): string => `${region}/${topic}/${name}`;

export function desiredFrom(
  config: StackConfig,
  opts: { region?: string | undefined; namespace?: string | undefined; batchRegions?: string | undefined } = {},
): Desired {
  const owner = `${config.service}-${config.stage}`;
  const region = opts.region || config.region;
  return {
    file: config.file,
    service: config.service,
    stage: config.stage,
    region,
    eventRegions: servedRegions(opts.batchRegions, region),
    namespace: opts.namespace || config.namespace || "default",
    owner,
    topics: [...new Set(config.functions.flatMap((f) => f.triggers.flatMap((t) => (t.kind === "cmq" ? [t.topic] : []))))],
    functions: config.functions.map((fn) => desiredFunction(fn, config.file)),
  };
}

/**
 * BATCH_REGIONS as the deployer's environment sets it (the value serverless.yml's
 * `${env:BATCH_REGIONS, ''}` gives the functions), by the functions' own rule (shared/batch/regions.ts);
 * unset or empty: the deploy's region.
 */
export function servedRegions(raw: string | undefined, home: string): string[] {
  if (!raw?.trim()) return [home];
  const r = z.safeParse(RegionListSchema, raw);
  if (r.success) return r.data;
  throw new DeployError(r.error.issues.map((i) => `BATCH_REGIONS.${i.path.join(".")}: ${i.message}`).join("; "));
}

/** The regions a deployed function served: its BATCH_REGIONS as deployed (read leniently), else the region it runs in. */
export function regionsServedBy(fn: Pick<ActualFunction, "settings">, home: string): string[] {
  const listed = (fn.settings.Environment.BATCH_REGIONS ?? "").split(",").map((r) => r.trim()).filter((r) => REGION.test(r));
  return listed.length > 0 ? listed : [home];
}

/** The tags that mark a function as this file's. */
export function ownerTags(d: Pick<Desired, "service" | "stage">): Record<string, string> {
  return { [OWNER_TAGS.service]: d.service, [OWNER_TAGS.stage]: d.stage };
}

export function isOwned(fn: Pick<ActualFunction, "tags">, d: Pick<Desired, "service" | "stage">): boolean {
  return fn.tags[OWNER_TAGS.service] === d.service && fn.tags[OWNER_TAGS.stage] === d.stage;
}

/** A timer's cron as given, or as SCF answers it (`{"cron":"…"}`), blanks normalised. */
export function cronOf(desc: string): string {
  let cron = desc;
  if (desc.trim().startsWith("{")) {
    try {
      const v = JSON.parse(desc) as { cron?: unknown };
      if (typeof v.cron === "string") cron = v.cron;
    } catch {
      // not JSON: compared as given
    }
  }
  return cron.trim().split(/\s+/).join(" ");
}

function desiredFunction(fn: FunctionConfig, file: string): DesiredFunction {
  const shownFile = relative(process.cwd(), file) || file;
  const environment: Record<string, string> = {};
  for (const [k, v] of Object.entries(fn.environment)) {
    if (RESERVED_VAR_PREFIXES.some((p) => k.startsWith(p))) {
      throw new DeployError(`${shownFile}:${fn.line}: functions.${fn.name}: environment variable ${k}: SCF reserves the prefixes ${RESERVED_VAR_PREFIXES.join(", ")}`);
    }
    // `${env:X, ''}` means "not configured": the variable is left unset, as the local stack does.
    if (v !== "") environment[k] = v;
  }
  const triggers: TriggerSpec[] = [];
  const subscriptions: SubscriptionSpec[] = [];
  for (const t of fn.triggers) {
    if (t.kind === "timer") {
      triggers.push({ Type: "timer", TriggerName: t.name, TriggerDesc: t.cronExpression, CustomArgument: t.message, Enable: t.enabled });
    } else if (t.kind === "cmq") {
      if (t.enabled) subscriptions.push({ topic: t.topic, name: fn.scfName });
    }
  }
  if (fn.url || subscriptions.length > 0) {
    triggers.push({ Type: "http", TriggerName: URL_TRIGGER_NAME, TriggerDesc: JSON.stringify(URL_TRIGGER_DESC), CustomArgument: "", Enable: true });
  }
  return {
    key: fn.name,
    name: fn.scfName,
    line: fn.line,
    code: readArtifact(fn.artifact, `${shownFile}:${fn.line}: functions.${fn.name}`),
    settings: {
      Runtime: fn.runtime,
      Handler: fn.handler,
      MemorySize: fn.memorySize,
      Timeout: fn.timeout,
      Role: fn.role || undefined,
      Description: fn.description,
      Environment: environment,
    },
    triggers,
    subscriptions,
    needsPushToken: subscriptions.length > 0,
  };
}

function readArtifact(path: string, where: string): CodeArtifact {
  const shown = relative(process.cwd(), path) || path;
  if (!existsSync(path)) throw new DeployError(`${where}: ${shown} does not exist; run \`npm run build\` (npm run deploy does)`);
  const data = readFileSync(path);
  if (data.length > MAX_INLINE_ZIP_BYTES) {
    throw new DeployError(`${where}: ${shown} is ${(data.length / 1048576).toFixed(1)} MB; SCF takes inline code up to ${MAX_INLINE_ZIP_BYTES / 1048576} MB`);
  }
  return { shown, path, sha256: createHash("sha256").update(data).digest("hex"), bytes: data.length };
}

/** Whether SCF's CodeSha256 names these bytes (the docs do not say hex or base64: both count). */
export function sameCode(actual: string | undefined, hex: string): boolean {
  if (!actual) return false;
  return actual.toLowerCase() === hex || actual === Buffer.from(hex, "hex").toString("base64");
}
