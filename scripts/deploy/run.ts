// `npm run deploy [-- --plan | --remove]`: serverless.yml → the account, through the SDK's SCF and
// TDMQ clients. Reads first, prints the plan, then (unless --plan) makes exactly those changes.
import { randomBytes } from "node:crypto";
import { ServerlessConfigError, loadServerlessConfig } from "../../local/stack/serverless-config";
import { asSdkError } from "../../shared/batch/retry";
import { applyPlan, describe, readActual } from "./apply";
import { type Cloud, type CloudOptions, createCloud } from "./cloud";
import { type ActualFunction, type Desired, DeployError, desiredFrom, ownerTags, PUSH_TOKEN_VAR } from "./model";
import { functionUrl, irreversible, type Plan, planDeploy, planRemove } from "./plan";

export interface DeployRun {
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  /** serverless.yml */
  file: string;
  print(line: string): void;
  /** Test knobs: status polling and retry pacing. */
  cloud?: Partial<Pick<CloudOptions, "pollMs" | "settleTimeoutMs" | "retry">>;
}

export interface DeployResult {
  ok: boolean;
  plan?: Plan;
  /** Write calls made (none for --plan, none when nothing changed). */
  writes: string[];
  urls: Record<string, string>;
}

const USAGE = "usage: npm run deploy [-- --plan | --remove] [--yes] [--adopt]   (env: TENCENTCLOUD_SECRETID, TENCENTCLOUD_SECRETKEY[, TENCENTCLOUD_SESSIONTOKEN, TENCENTCLOUD_REGION, DEPLOY_NAMESPACE, DEPLOY_ENDPOINT])";

export async function runDeploy(run: DeployRun): Promise<DeployResult> {
  const secrets = new Set<string>();
  const print = (line: string) => run.print(redact(line, secrets));
  let cloud: Cloud | undefined;
  try {
    const flags = parseFlags(run.argv);
    const env = run.env;
    const secretId = env.TENCENTCLOUD_SECRETID ?? "";
    const secretKey = env.TENCENTCLOUD_SECRETKEY ?? "";
    for (const s of [secretKey, env.TENCENTCLOUD_SESSIONTOKEN]) if (s) secrets.add(s);
    const config = loadServerlessConfig(run.file, env);
    const desired = desiredFrom(config, { region: env.TENCENTCLOUD_REGION, namespace: env.DEPLOY_NAMESPACE, batchRegions: env.BATCH_REGIONS });
    // A topic's name is no secret (the plan names it), even where a variable holds it (JOB_EVENTS_TOPIC); nor are the regions.
    for (const fn of desired.functions) {
      for (const [k, v] of Object.entries(fn.settings.Environment)) if (v.length >= 12 && !desired.topics.includes(v) && k !== "BATCH_REGIONS") secrets.add(v);
    }
    if (!secretId || !secretKey) throw new DeployError("TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY must be set (a CAM key with the policies in README → Deploying)");

    cloud = createCloud({
      region: desired.region,
      namespace: desired.namespace,
      credentials: { secretId, secretKey, ...(env.TENCENTCLOUD_SESSIONTOKEN ? { token: env.TENCENTCLOUD_SESSIONTOKEN } : {}) },
      endpoint: env.DEPLOY_ENDPOINT || undefined,
      ...run.cloud,
    });
    print(`${flags.remove ? "removing" : flags.plan ? "planning" : "deploying"} ${desired.owner} from ${run.file.split("/").pop()} → SCF ${desired.region}, namespace ${desired.namespace}, CMQ topics in ${desired.eventRegions.join(", ")}${env.DEPLOY_ENDPOINT ? ` (endpoint ${env.DEPLOY_ENDPOINT})` : ""}`);
    const actual = await readActual(cloud, desired);
    for (const f of actual.functions.values()) {
      const t = f.settings.Environment[PUSH_TOKEN_VAR];
      if (t) secrets.add(t);
    }
    // Each subscriber its own token: one leaked function environment lets no push into another.
    const newToken = () => {
      const token = randomBytes(32).toString("base64url");
      secrets.add(token);
      return token;
    };
    const plan = flags.remove ? planRemove(desired, actual, { adopt: flags.adopt }) : planDeploy(desired, actual, { newToken, adopt: flags.adopt });
    for (const name of plan.unchanged) print(`= no change ${name}`);
    if (flags.plan) {
      for (const c of plan.changes) print(describe(c));
      for (const n of plan.notes) print(`note: ${n}`);
      const cannotUndo = flags.remove ? [] : irreversible(plan);
      if (cannotUndo.length > 0) print(`note: applying this plan needs --yes: it would ${cannotUndo.join("; ")}, which a re-run cannot undo`);
      print(plan.changes.length === 0 ? "plan: nothing to change" : `plan: ${summary(plan)}; nothing was changed (run without --plan to apply)`);
      return { ok: true, plan, writes: [...cloud.writes], urls: {} };
    }
    for (const n of plan.notes) print(`note: ${n}`);
    // Like `terraform apply` asking first: what a re-run cannot bring back is made only when asked for.
    const cannotUndo = flags.remove ? [] : irreversible(plan);
    if (cannotUndo.length > 0 && !flags.yes) {
      for (const c of plan.changes) print(describe(c));
      throw new DeployError(`this plan would ${cannotUndo.join("; ")}, which a re-run cannot undo: nothing was changed; re-run with --yes to apply it`);
    }
    await applyPlan(cloud, plan.changes, { tags: ownerTags(desired), print });
    // Every function must end Active, whatever the plan was (a failed one is an error, not a success);
    // the same reads give the Function URLs printed at the end.
    const settled = new Map<string, ActualFunction>();
    if (!flags.remove) for (const fn of desired.functions) settled.set(fn.name, await cloud.settle(fn.name));
    print(plan.changes.length === 0 ? "nothing to change: the account matches the file" : `done: ${summary(plan)}`);
    const urls = printUrls(settled, desired, print);
    return { ok: true, plan, writes: [...cloud.writes], urls };
  } catch (e) {
    print(`deploy failed: ${messageOf(e)}`);
    if (cloud && cloud.writes.length > 0) print("the account may be partly changed: run the same command again, it reads the account and converges");
    return { ok: false, writes: [...(cloud?.writes ?? [])], urls: {} };
  }
}

function parseFlags(argv: readonly string[]): { plan: boolean; remove: boolean; yes: boolean; adopt: boolean } {
  const flags = { plan: false, remove: false, yes: false, adopt: false };
  for (const a of argv) {
    if (a === "--plan") flags.plan = true;
    else if (a === "--remove") flags.remove = true;
    else if (a === "--yes") flags.yes = true;
    else if (a === "--adopt") flags.adopt = true;
    else throw new DeployError(`unknown argument ${a}\n${USAGE}`);
  }
  return flags;
}

function printUrls(settled: ReadonlyMap<string, ActualFunction>, desired: Desired, print: (line: string) => void): Record<string, string> {
  const urls: Record<string, string> = {};
  const lines: string[] = [];
  for (const fn of desired.functions) {
    if (!fn.triggers.some((t) => t.Type === "http")) continue;
    const f = settled.get(fn.name);
    const url = f && functionUrl(f);
    if (!url) continue;
    urls[fn.key] = url;
    const what = fn.subscriptions.length > 0 ? `CMQ pushes from ${fn.subscriptions.map((s) => s.topic).join(", ")} (path /cmq/<token>)` : fn.settings.Description || fn.key;
    lines.push(`  ${fn.key.padEnd(14)} ${url}   ${what}`);
  }
  if (lines.length > 0) {
    print("Function URLs:");
    for (const l of lines) print(l);
  }
  return urls;
}

function summary(plan: Plan): string {
  const counts = new Map<string, number>();
  for (const c of plan.changes) counts.set(c.kind, (counts.get(c.kind) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${n} ${k}`).join(", ");
}

function messageOf(e: unknown): string {
  if (e instanceof DeployError || e instanceof ServerlessConfigError) return e.message;
  const err = asSdkError(e);
  if (err.code) return `${err.code}: ${err.message ?? ""}${err.requestId ? ` (RequestId ${err.requestId})` : ""}`;
  return err.message ?? String(e);
}

function redact(line: string, secrets: ReadonlySet<string>): string {
  let out = line;
  for (const s of secrets) if (s) out = out.split(s).join("******");
  return out.replace(/\/cmq\/[A-Za-z0-9_-]{16,}/g, "/cmq/***");
}
