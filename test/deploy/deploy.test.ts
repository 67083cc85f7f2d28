// `npm run deploy` end to end: the project's serverless.yml deployed through the real SDK's SCF and
// TDMQ clients into the emulator (DEPLOY_ENDPOINT), with stand-in zips (tests run before the build).
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Client as ScfClient } from "tencentcloud-sdk-nodejs/tencentcloud/services/scf/v20180416/scf_client";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadServerlessConfig } from "../../local/stack/serverless-config";
import { type DeployResult, runDeploy } from "../../scripts/deploy/run";
import { writeZip } from "../../scripts/bundle";
import { startTestEmulator, TEST_SECRET_ID, TEST_SECRET_KEY, type TestEmulator } from "../support/emulator";

const ROOT = resolve(__dirname, "../..");
const API_KEYS = "app:Zt4m8x2QwErTyUiOpAsDfGhJ:jobs:*";

interface EmuFunction {
  FunctionName: string;
  Status: string;
  CodeSha256: string;
  Environment: Record<string, string>;
  MemorySize: number;
  Timeout: number;
  Handler: string;
  Runtime: string;
  Triggers: Array<{ Type: string; TriggerName: string; TriggerDesc: string; Enable: number; CustomArgument?: string }>;
}
interface EmuSubscription {
  TopicName: string;
  SubscriptionName: string;
  Protocol: string;
  Endpoint: string;
}

let t: TestEmulator;
let dir: string;
let file: string;
let yaml: string;
const ENV = (): NodeJS.ProcessEnv => ({ TENCENTCLOUD_SECRETID: TEST_SECRET_ID, TENCENTCLOUD_SECRETKEY: TEST_SECRET_KEY, DEPLOY_ENDPOINT: t.emu.url, API_KEYS });

async function deploy(argv: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<DeployResult & { out: string }> {
  const lines: string[] = [];
  const r = await runDeploy({ argv, env: { ...ENV(), ...env }, file, print: (l) => lines.push(l), cloud: { pollMs: 10, retry: { baseMs: 1, capMs: 5 } } });
  return { ...r, out: lines.join("\n") };
}
const emuGet = async <T>(path: string): Promise<T> => (await fetch(`${t.emu.url}/_emulator${path}`)).json() as Promise<T>;
const functions = () => emuGet<EmuFunction[]>("/scf/functions");
const fn = async (key: string) => (await functions()).find((f) => f.FunctionName === `batch-scf-prod-${key}`);
const subscriptions = () => emuGet<EmuSubscription[]>("/cmq/subscriptions");
/** The subscription of one function of the file (each function subscribes under its SCF name). */
const subscriptionOf = async (key: string) => (await subscriptions()).filter((s) => s.SubscriptionName === `batch-scf-prod-${key}`);
const sha = (p: string) => createHash("sha256").update(readFileSync(p)).digest("hex");

function writeZips(version: string, only?: string): void {
  for (const f of loadServerlessConfig(file, ENV()).functions) {
    if (only && f.name !== only) continue;
    writeZip(f.artifact, [{ name: "index.js", data: Buffer.from(`exports.main_handler = async () => ${JSON.stringify(`${f.name} ${version}`)};\n`) }]);
  }
}
function editYaml(edit: (text: string) => string): void {
  yaml = edit(yaml);
  writeFileSync(file, yaml);
}

beforeAll(async () => {
  t = await startTestEmulator({ timings: { scfCreateMs: 30, scfUpdateMs: 20 }, exec: false });
  dir = mkdtempSync(join(tmpdir(), "deploy-"));
  mkdirSync(join(dir, "dist"));
  file = join(dir, "serverless.yml");
  copyFileSync(join(ROOT, "serverless.yml"), file);
  yaml = readFileSync(file, "utf8");
  writeZips("v1");
});
afterAll(async () => {
  await t?.stop();
});
beforeEach(async () => {
  await fetch(`${t.emu.url}/_emulator/faults`, { method: "DELETE" });
});

describe("deploy into a clean account", () => {
  let first: DeployResult & { out: string };
  beforeAll(async () => {
    first = await deploy();
  });

  it("creates every function Active, with its own zip and only its own environment", async () => {
    expect(first.ok, first.out).toBe(true);
    const config = loadServerlessConfig(file, ENV());
    const all = await functions();
    expect(all.map((f) => f.FunctionName).sort()).toEqual(config.functions.map((f) => f.scfName).sort());
    for (const c of config.functions) {
      const f = all.find((x) => x.FunctionName === c.scfName)!;
      expect(f.Status).toBe("Active");
      expect(f.CodeSha256).toBe(sha(c.artifact));
      expect([f.Runtime, f.Handler, f.MemorySize, f.Timeout]).toEqual(["Nodejs18.15", c.handler, c.memorySize, c.timeout]);
      const wanted = Object.fromEntries(Object.entries(c.environment).filter(([, v]) => v !== ""));
      const { CMQ_PUSH_TOKEN, ...rest } = f.Environment;
      expect(rest).toEqual(wanted);
      expect(CMQ_PUSH_TOKEN !== undefined).toBe(c.triggers.some((x) => x.kind === "cmq"));
    }
    expect((await fn("node-abnormal"))!.Environment.API_KEYS).toBeUndefined();
    expect((await fn("jobs"))!.Environment.API_KEYS).toBe(API_KEYS);
  });

  it("declares the timers with their cron and argument, and a Function URL per HTTP function", async () => {
    const config = loadServerlessConfig(file, ENV());
    for (const c of config.functions) {
      const f = (await fn(c.name))!;
      for (const tr of c.triggers) {
        if (tr.kind !== "timer") continue;
        const got = f.Triggers.find((x) => x.Type === "timer" && x.TriggerName === tr.name);
        expect(got, `${c.name} ${tr.name}`).toMatchObject({ TriggerDesc: JSON.stringify({ cron: tr.cronExpression }), Enable: 1 });
        expect(got?.CustomArgument ?? "").toBe(tr.message);
      }
      const url = f.Triggers.find((x) => x.Type === "http");
      expect(url !== undefined, c.name).toBe(c.url || c.triggers.some((x) => x.kind === "cmq"));
      expect(f.Triggers).toHaveLength(c.triggers.filter((x) => x.kind === "timer").length + (url ? 1 : 0));
    }
    expect((await fn("jobs"))!.Triggers.map((x) => x.Type)).toEqual(["http"]);
  });

  it("subscribes node-abnormal's URL to the topic by HTTP push, with the token the function checks", async () => {
    const na = (await fn("node-abnormal"))!;
    const url = JSON.parse(na.Triggers.find((x) => x.Type === "http")!.TriggerDesc).NetConfig.ExtranetUrl as string;
    const subs = await subscriptionOf("node-abnormal");
    expect(subs).toHaveLength(1);
    expect(subs[0]).toMatchObject({ TopicName: "batch-node-events", SubscriptionName: "batch-scf-prod-node-abnormal", Protocol: "http" });
    expect(subs[0]!.Endpoint).toBe(`${url}/cmq/${na.Environment.CMQ_PUSH_TOKEN}`);
    expect(na.Environment.CMQ_PUSH_TOKEN).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("subscribes job-notify's URL to the topic the jobs function subscribes Notify jobs to, with its own token", async () => {
    const jn = (await fn("job-notify"))!;
    const url = JSON.parse(jn.Triggers.find((x) => x.Type === "http")!.TriggerDesc).NetConfig.ExtranetUrl as string;
    const topic = (await fn("jobs"))!.Environment.JOB_EVENTS_TOPIC;
    expect(topic).toBe("batch-job-events");
    expect(await subscriptionOf("job-notify")).toEqual([expect.objectContaining({ TopicName: topic, Protocol: "http", Endpoint: `${url}/cmq/${jn.Environment.CMQ_PUSH_TOKEN}` })]);
    expect(jn.Environment.CMQ_PUSH_TOKEN).not.toBe((await fn("node-abnormal"))!.Environment.CMQ_PUSH_TOKEN);
    expect(jn.Environment.API_KEYS).toBeUndefined();
    expect(first.out).toMatch(/^\+ add subscription batch-scf-prod-job-notify on topic batch-job-events/m);
  });

  it("prints one line per change and every Function URL, and no secret", async () => {
    expect(first.out).toMatch(/^\+ create function batch-scf-prod-jobs /m);
    expect(first.out).toMatch(/^\+ add subscription batch-scf-prod-node-abnormal on topic batch-node-events/m);
    expect(first.out).toMatch(/^Function URLs:$/m);
    expect(first.out).toMatch(/^ {2}jobs +https:\/\/1250000000-[a-z0-9]+\.ap-guangzhou\.tencentscf\.com /m);
    const token = (await fn("node-abnormal"))!.Environment.CMQ_PUSH_TOKEN!;
    for (const secret of [API_KEYS, "Zt4m8x2QwErTyUiOpAsDfGhJ", TEST_SECRET_KEY, token]) expect(first.out).not.toContain(secret);
  });

  it("a second deploy with nothing changed makes no write at all", async () => {
    const again = await deploy();
    expect(again.ok, again.out).toBe(true);
    expect(again.writes).toEqual([]);
    expect(again.out).toMatch(/nothing to change/);
  });
});

describe("changes", () => {
  it("--plan prints the change and writes nothing; the deploy then makes exactly one config update", async () => {
    const plan = await deploy(["--plan"], { DRY_RUN: "true" });
    expect(plan.ok, plan.out).toBe(true);
    expect(plan.writes).toEqual([]);
    expect(plan.out).toMatch(/^~ update config batch-scf-prod-node-abnormal: Environment \(~DRY_RUN\)$/m);
    expect((await fn("node-abnormal"))!.Environment.DRY_RUN).toBe("false");
    const applied = await deploy([], { DRY_RUN: "true" });
    expect(applied.writes).toEqual(["UpdateFunctionConfiguration"]);
    expect((await fn("node-abnormal"))!.Environment.DRY_RUN).toBe("true");
    expect((await deploy()).writes).toEqual(["UpdateFunctionConfiguration"]);
  });

  it("a changed cron replaces that trigger and nothing else", async () => {
    editYaml((y) => y.replace('cronExpression: "0 */5 * * * * *"', 'cronExpression: "0 */10 * * * * *"'));
    const r = await deploy();
    expect(r.ok, r.out).toBe(true);
    expect(r.writes).toEqual(["DeleteTrigger", "CreateTrigger"]);
    expect((await fn("node-abnormal"))!.Triggers.find((x) => x.Type === "timer")!.TriggerDesc).toBe(JSON.stringify({ cron: "0 */10 * * * * *" }));
  });

  it("new code is one UpdateFunctionCode for that function only", async () => {
    writeZips("v2", "envs");
    const r = await deploy();
    expect(r.writes).toEqual(["UpdateFunctionCode"]);
    expect((await fn("envs"))!.CodeSha256).toBe(sha(join(dir, "dist/envs.zip")));
  });

  it("a failed update is a clear error naming the function and reason; the next run converges", async () => {
    await fetch(`${t.emu.url}/_emulator/scf/fail-next`, {
      method: "POST",
      body: JSON.stringify({ FunctionName: "batch-scf-prod-jobs", Phase: "update", ErrorCode: "InternalError.System", ErrorMessage: "image pull failed" }),
    });
    writeZips("v3", "jobs");
    const failed = await deploy();
    expect(failed.ok).toBe(false);
    expect(failed.out).toMatch(/deploy failed: batch-scf-prod-jobs is UpdateFailed: InternalError.System: image pull failed/);
    expect(failed.out).toMatch(/run the same command again/);
    const again = await deploy();
    expect(again.ok, again.out).toBe(true);
    // What a failed update left is unknown: the code and every setting are applied again.
    expect(again.writes).toEqual(["UpdateFunctionCode", "UpdateFunctionConfiguration"]);
    expect((await fn("jobs"))!).toMatchObject({ Status: "Active", CodeSha256: sha(join(dir, "dist/jobs.zip")) });
  });

  it("retries throttling and transient errors with the client layer's rules", async () => {
    await fetch(`${t.emu.url}/_emulator/faults`, { method: "POST", body: JSON.stringify({ action: "GetFunction", code: "RequestLimitExceeded", count: 2 }) });
    const r = await deploy();
    expect(r.ok, r.out).toBe(true);
    expect(r.writes).toEqual([]);
  });

  it("a missing env:API_KEYS variable stops the plan with the file and line, before any call", async () => {
    const lines: string[] = [];
    const r = await runDeploy({ argv: ["--plan"], env: { ...ENV(), API_KEYS: undefined }, file, print: (l) => lines.push(l) });
    expect(r.ok).toBe(false);
    expect(lines.join("\n")).toMatch(/deploy failed: serverless\.yml:\d+: .*API_KEYS is not set/);
    expect(r.writes).toEqual([]);
  });

  it("a disabled cmq event takes the subscription away (TDMQ would push to a 403 for a day), and enabling it brings it back", async () => {
    editYaml((y) => y.replace("name: batch-node-events\n            enable: true", "name: batch-node-events\n            enable: false"));
    const off = await deploy();
    expect(off.ok, off.out).toBe(true);
    expect(off.writes).toEqual(["DeleteCmqSubscribe", "UpdateFunctionConfiguration"]);
    expect(await subscriptionOf("node-abnormal")).toEqual([]);
    expect(await subscriptionOf("job-notify")).toHaveLength(1);
    expect((await fn("node-abnormal"))!.Environment.CMQ_PUSH_TOKEN).toBeUndefined();
    editYaml((y) => y.replace("name: batch-node-events\n            enable: false", "name: batch-node-events\n            enable: true"));
    const on = await deploy();
    expect(on.writes).toEqual(["UpdateFunctionConfiguration", "CreateCmqSubscribe"]);
    const token = (await fn("node-abnormal"))!.Environment.CMQ_PUSH_TOKEN!;
    expect((await subscriptionOf("node-abnormal"))[0]!.Endpoint.endsWith(`/cmq/${token}`)).toBe(true);
  });

  it("a function removed from the file is deleted with its triggers; a function the file never owned is not", async () => {
    const sdk = new ScfClient({ credential: { secretId: TEST_SECRET_ID, secretKey: TEST_SECRET_KEY }, region: "ap-guangzhou", profile: { httpProfile: { endpoint: `127.0.0.1:${t.emu.port}`, protocol: "http://" } } });
    writeZip(join(dir, "other.zip"), [{ name: "index.js", data: Buffer.from("exports.main_handler=async()=>1") }]);
    await sdk.CreateFunction({ FunctionName: "batch-scf-prod-someone-else", Code: { ZipFile: readFileSync(join(dir, "other.zip")).toString("base64") }, Handler: "index.main_handler", Runtime: "Nodejs18.15" });
    // Only the cost-report block (the functions after it stay).
    editYaml((y) => y.replace(/\n {2}cost-report:\n[\s\S]*?(?=\n {2}[a-z-]+:\n|$)/, ""));
    const plan = await deploy(["--plan"]);
    expect(plan.out).toMatch(/^- delete function batch-scf-prod-cost-report \(no longer in serverless\.yml\)$/m);
    expect(plan.out).toMatch(/^note: applying this plan needs --yes: it would delete function batch-scf-prod-cost-report/m);
    expect(plan.out).not.toMatch(/someone-else/);
    const unconfirmed = await deploy();
    expect(unconfirmed.ok).toBe(false);
    expect(unconfirmed.out).toMatch(/nothing was changed; re-run with --yes/);
    expect(unconfirmed.writes).toEqual([]);
    const r = await deploy(["--yes"]);
    expect(r.ok, r.out).toBe(true);
    expect(r.writes).toEqual(["DeleteFunction"]);
    const names = (await functions()).map((f) => f.FunctionName);
    expect(names).not.toContain("batch-scf-prod-cost-report");
    expect(names).toContain("batch-scf-prod-someone-else");
  });

  it("--remove deletes the file's subscription and functions, nothing else", async () => {
    const r = await deploy(["--remove"]);
    expect(r.ok, r.out).toBe(true);
    expect(await subscriptions()).toEqual([]);
    expect((await functions()).map((f) => f.FunctionName)).toEqual(["batch-scf-prod-someone-else"]);
    expect(r.writes.filter((w) => w === "DeleteFunction")).toHaveLength(loadServerlessConfig(file, ENV()).functions.length);
  });

  it("falls back to an http:// push endpoint when TDMQ refuses https://, and keeps it", async () => {
    await fetch(`${t.emu.url}/_emulator/faults`, {
      method: "POST",
      body: JSON.stringify({ action: "CreateCmqSubscribe", code: "InvalidParameterValue.Endpoint", message: "endpoint must start with http://", count: 1 }),
    });
    const r = await deploy();
    expect(r.ok, r.out).toBe(true);
    expect(r.out).toMatch(/subscribing over http:\/\//);
    expect((await subscriptionOf("node-abnormal"))[0]!.Endpoint).toMatch(/^http:\/\/1250000000-/);
    expect((await deploy()).writes).toEqual([]);
  });

  it("a failed create is a clear error, never a success; the next run converges", async () => {
    await deploy(["--remove"]);
    await fetch(`${t.emu.url}/_emulator/scf/fail-next`, {
      method: "POST",
      body: JSON.stringify({ FunctionName: "batch-scf-prod-jobs", Phase: "create", ErrorCode: "InternalError.System", ErrorMessage: "no capacity" }),
    });
    const failed = await deploy();
    expect(failed.ok).toBe(false);
    expect(failed.out).toMatch(/batch-scf-prod-jobs is CreateFailed: InternalError.System: no capacity/);
    const again = await deploy();
    expect(again.ok, again.out).toBe(true);
    expect(again.out).toMatch(/~ update code batch-scf-prod-jobs \(CreateFailed: applied again/);
    expect((await fn("jobs"))!.Status).toBe("Active");
    expect((await deploy()).writes).toEqual([]);
  });

  it("refuses to change a function the file names but this deploy did not create, unless --adopt", async () => {
    await deploy(["--remove"]);
    const sdk = new ScfClient({ credential: { secretId: TEST_SECRET_ID, secretKey: TEST_SECRET_KEY }, region: "ap-guangzhou", profile: { httpProfile: { endpoint: `127.0.0.1:${t.emu.port}`, protocol: "http://" } } });
    await sdk.CreateFunction({ FunctionName: "batch-scf-prod-jobs", Code: { ZipFile: readFileSync(join(dir, "other.zip")).toString("base64") }, Handler: "index.main_handler", Runtime: "Nodejs18.15", Environment: { Variables: [{ Key: "THEIRS", Value: "1" }] } });
    const refused = await deploy();
    expect(refused.ok).toBe(false);
    expect(refused.out).toMatch(/batch-scf-prod-jobs exists but was not created by this deploy/);
    expect(refused.writes).toEqual([]);
    expect((await fn("jobs"))!.Environment).toEqual({ THEIRS: "1" });
    const kept = await deploy(["--remove"]);
    expect(kept.out).toMatch(/batch-scf-prod-jobs was not created by this deploy \(no owner tags\): left alone/);
    expect(await fn("jobs")).toBeDefined();
    const adopted = await deploy(["--adopt"]);
    expect(adopted.ok, adopted.out).toBe(true);
    expect((await fn("jobs"))!.Environment.THEIRS).toBeUndefined();
  });
});
