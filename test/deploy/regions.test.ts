// A deploy serving two regions (BATCH_REGIONS) end to end against the emulator, whose TDMQ state is
// per region (X-TC-Region): the functions stay in the deploy's region; the node-events and
// job-events topics and their HTTP subscriptions are in each served region, pushing to the same URLs.
import { copyFileSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeZip } from "../../scripts/bundle";
import { loadServerlessConfig } from "../../local/stack/serverless-config";
import { type DeployResult, runDeploy } from "../../scripts/deploy/run";
import { startTestEmulator, TEST_SECRET_ID, TEST_SECRET_KEY, type TestEmulator } from "../support/emulator";

const TWO = "ap-guangzhou,ap-shanghai";
const SUBSCRIBERS = ["node-abnormal", "job-notify"] as const;

let t: TestEmulator;
let file: string;
const ENV = (): NodeJS.ProcessEnv => ({ TENCENTCLOUD_SECRETID: TEST_SECRET_ID, TENCENTCLOUD_SECRETKEY: TEST_SECRET_KEY, DEPLOY_ENDPOINT: t.emu.url, API_KEYS: "app:Zt4m8x2QwErTyUiOpAsDfGhJ:jobs:*" });

async function deploy(argv: string[], regions: string | undefined): Promise<DeployResult & { out: string }> {
  const lines: string[] = [];
  const env = { ...ENV(), ...(regions === undefined ? {} : { BATCH_REGIONS: regions }) };
  const r = await runDeploy({ argv, env, file, print: (l) => lines.push(l), cloud: { pollMs: 10, retry: { baseMs: 1, capMs: 5 } } });
  return { ...r, out: lines.join("\n") };
}
const emuGet = async <T>(path: string): Promise<T> => (await fetch(`${t.emu.url}/_emulator${path}`)).json() as Promise<T>;
type EmuFunction = { FunctionName: string; Environment: Record<string, string>; Triggers: Array<{ Type: string; TriggerDesc: string }> };
/** `<region> <topic> <subscription> <endpoint>` of every subscription, sorted. */
const subscriptions = async () =>
  (await emuGet<Array<{ Region: string; TopicName: string; SubscriptionName: string; Endpoint: string }>>("/cmq/subscriptions"))
    .map((s) => `${s.Region} ${s.TopicName} ${s.SubscriptionName} ${s.Endpoint}`)
    .sort();
const topics = async () => (await emuGet<Array<{ Region: string; TopicName: string }>>("/cmq/topics")).map((x) => `${x.Region} ${x.TopicName}`).sort();
/** What each subscriber's subscription must be in `region`: its own Function URL and token. */
async function expected(regions: string[]): Promise<string[]> {
  const fns = await emuGet<EmuFunction[]>("/scf/functions");
  const out: string[] = [];
  for (const key of SUBSCRIBERS) {
    const f = fns.find((x) => x.FunctionName === `batch-scf-prod-${key}`)!;
    const url = JSON.parse(f.Triggers.find((x) => x.Type === "http")!.TriggerDesc).NetConfig.ExtranetUrl as string;
    const topic = key === "node-abnormal" ? "batch-node-events" : "batch-job-events";
    for (const r of regions) out.push(`${r} ${topic} ${f.FunctionName} ${url}/cmq/${f.Environment.CMQ_PUSH_TOKEN}`);
  }
  return out.sort();
}

beforeAll(async () => {
  t = await startTestEmulator({ timings: { scfCreateMs: 30, scfUpdateMs: 20 }, exec: false });
  const dir = mkdtempSync(join(tmpdir(), "deploy-regions-"));
  mkdirSync(join(dir, "dist"));
  file = join(dir, "serverless.yml");
  copyFileSync(join(resolve(__dirname, "../.."), "serverless.yml"), file);
  for (const f of loadServerlessConfig(file, ENV()).functions) writeZip(f.artifact, [{ name: "index.js", data: Buffer.from(`exports.main_handler = async () => ${JSON.stringify(f.name)};\n`) }]);
});
afterAll(async () => {
  await t?.stop();
});

describe("deploy serving ap-guangzhou and ap-shanghai", () => {
  it("creates both topics and both subscriptions in each region, pushing to the one function URL with its token", async () => {
    const r = await deploy([], TWO);
    expect(r.ok, r.out).toBe(true);
    expect(await topics()).toEqual(["ap-guangzhou batch-job-events", "ap-guangzhou batch-node-events", "ap-shanghai batch-job-events", "ap-shanghai batch-node-events"]);
    expect(await subscriptions()).toEqual(await expected(["ap-guangzhou", "ap-shanghai"]));
    expect(r.out).toMatch(/^\+ create CMQ topic batch-job-events in ap-shanghai /m);
    expect(r.out).toMatch(/^\+ add subscription batch-scf-prod-node-abnormal on topic batch-node-events in ap-shanghai → /m);
    // The functions themselves stay in the deploy's region, and learn the regions they serve.
    const fns = await emuGet<EmuFunction[]>("/scf/functions");
    expect(fns.find((f) => f.FunctionName === "batch-scf-prod-jobs")!.Environment.BATCH_REGIONS).toBe(TWO);
  });

  it("a second run changes nothing", async () => {
    const again = await deploy([], TWO);
    expect(again.ok, again.out).toBe(true);
    expect(again.writes).toEqual([]);
  });

  it("--plan for ap-guangzhou only names the ap-shanghai subscriptions it would delete, and writes nothing", async () => {
    const plan = await deploy(["--plan"], undefined);
    expect(plan.ok, plan.out).toBe(true);
    expect(plan.writes).toEqual([]);
    expect(plan.out).toMatch(/^- delete subscription batch-scf-prod-job-notify on topic batch-job-events in ap-shanghai → https:\/\/\S+\/cmq\/\*\*\* \(ap-shanghai no longer served \(BATCH_REGIONS\)\)$/m);
    expect(plan.out).toMatch(/^~ update config batch-scf-prod-jobs: Environment \(-BATCH_REGIONS\)$/m);
  });

  it("a region no longer served loses this deploy's subscriptions there, not its topics; serving it again brings them back", async () => {
    const one = await deploy([], undefined);
    expect(one.ok, one.out).toBe(true);
    expect(one.writes.filter((w) => w === "DeleteCmqSubscribe")).toHaveLength(2);
    expect(await subscriptions()).toEqual(await expected(["ap-guangzhou"]));
    expect((await topics()).filter((x) => x.startsWith("ap-shanghai "))).toHaveLength(2);
    expect((await deploy([], undefined)).writes).toEqual([]);
    const two = await deploy([], TWO);
    expect(two.writes.filter((w) => w.includes("Cmq"))).toEqual(["CreateCmqSubscribe", "CreateCmqSubscribe"]);
    expect(await subscriptions()).toEqual(await expected(["ap-guangzhou", "ap-shanghai"]));
  });

  it("--remove deletes the subscriptions in every served region and leaves the topics", async () => {
    const r = await deploy(["--remove"], TWO);
    expect(r.ok, r.out).toBe(true);
    expect(await subscriptions()).toEqual([]);
    expect(await topics()).toHaveLength(4);
    expect(await emuGet<EmuFunction[]>("/scf/functions")).toEqual([]);
  });
});
