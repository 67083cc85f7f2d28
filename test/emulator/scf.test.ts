// Contract tests of the emulator's SCF 2018-04-16 control plane, through the real SDK client:
// function lifecycle and its refusals, fail-next, code sha256, triggers, faults, durability.
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CreateFunctionRequest, GetFunctionResponse } from "tencentcloud-sdk-nodejs/tencentcloud/services/scf/v20180416/scf_models";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestEmulator, type TestEmulator } from "../support/emulator";
import { emulatorRoute, errorOf, scfClient, signedCall, tdmqClient } from "../support/api-clients";

const SCF_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
const zipBytes = (content: string) => Buffer.concat([Buffer.from("PK\x03\x04", "latin1"), Buffer.from(content)]);
const zip = (content: string) => zipBytes(content).toString("base64");
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

let seq = 0;
function fnReq(change: (r: CreateFunctionRequest) => void = () => {}): CreateFunctionRequest {
  const r: CreateFunctionRequest = {
    FunctionName: `fn-test-${++seq}`,
    Code: { ZipFile: zip("exports.main_handler = async () => 'ok';") },
    Handler: "index.main_handler",
    Runtime: "Nodejs18.15",
    MemorySize: 256,
    Timeout: 30,
    Role: "SCF_BatchRole",
    Description: "submits batch jobs",
    Environment: { Variables: [{ Key: "BATCH_REGION", Value: "ap-guangzhou" }] },
  };
  change(r);
  return r;
}

type Scf = ReturnType<typeof scfClient>;
const active = (scf: Scf, FunctionName: string, status = "Active") =>
  eventually(async () => {
    const f = await scf.GetFunction({ FunctionName });
    return f.Status === status ? f : undefined;
  });
const createActive = async (scf: Scf, change?: (r: CreateFunctionRequest) => void) => {
  const req = fnReq(change);
  await scf.CreateFunction(req);
  return active(scf, req.FunctionName);
};
const adminFunctions = async (t: TestEmulator) => (await emulatorRoute<Array<Record<string, unknown>>>(t, "GET", "/scf/functions")).json;

let t: TestEmulator;
/** Updates take a minute here: a function stays Updating for the refusal tests. */
let slow: TestEmulator;
let scf: Scf;
let slowScf: Scf;
beforeAll(async () => {
  [t, slow] = await Promise.all([
    startTestEmulator({ timings: { scfCreateMs: 60, scfUpdateMs: 40 } }),
    startTestEmulator({ timings: { scfCreateMs: 0, scfUpdateMs: 60_000 } }),
  ]);
  scf = scfClient(t);
  slowScf = scfClient(slow);
});
afterAll(async () => {
  await Promise.all([t?.stop(), slow?.stop()]);
});

describe("function lifecycle", () => {
  it("creates a function that is Creating, then Active, in GetFunctionResponse's shape", async () => {
    const req = fnReq();
    await scf.CreateFunction(req);
    const first = await scf.GetFunction({ FunctionName: req.FunctionName, Namespace: "default" });
    expect(first.Status).toBe("Creating");
    const f = await active(scf, req.FunctionName);
    expect(f).toMatchObject({
      FunctionName: req.FunctionName,
      Namespace: "default",
      Runtime: "Nodejs18.15",
      Handler: "index.main_handler",
      MemorySize: 256,
      Timeout: 30,
      Role: "SCF_BatchRole",
      Description: "submits batch jobs",
      Environment: { Variables: [{ Key: "BATCH_REGION", Value: "ap-guangzhou" }] },
      StatusReasons: [],
      Triggers: [],
      CodeSize: zipBytes("exports.main_handler = async () => 'ok';").length,
      Type: "Event",
    } satisfies GetFunctionResponse);
    expect(f.AddTime).toMatch(SCF_TIME);
    expect(f.ModTime).toMatch(SCF_TIME);
  });

  it("answers GetFunctionAddress with the hex sha256 of the zip, and the new one after UpdateFunctionCode", async () => {
    const f = await createActive(scf);
    const name = f.FunctionName!;
    const before = await scf.GetFunctionAddress({ FunctionName: name });
    expect(before.CodeSha256).toBe(sha256(zipBytes("exports.main_handler = async () => 'ok';")));
    await scf.UpdateFunctionCode({ FunctionName: name, ZipFile: zip("v2"), Handler: "app.main" });
    expect((await scf.GetFunction({ FunctionName: name })).Status).toBe("Updating");
    const after = await active(scf, name);
    expect(after.Handler).toBe("app.main");
    expect((await scf.GetFunctionAddress({ FunctionName: name })).CodeSha256).toBe(sha256(zipBytes("v2")));
    await scf.UpdateFunctionCode({ FunctionName: name, Code: { ZipFile: zip("v3") } });
    await active(scf, name);
    const listed = (await adminFunctions(t)).find((x) => x.FunctionName === name);
    expect(listed).toMatchObject({ Region: "ap-guangzhou", CodeSha256: sha256(zipBytes("v3")), Environment: { BATCH_REGION: "ap-guangzhou" }, Status: "Active" });
  });

  it("changes only the fields UpdateFunctionConfiguration sends; Environment replaces the whole set", async () => {
    const f = await createActive(scf);
    await scf.UpdateFunctionConfiguration({ FunctionName: f.FunctionName!, Timeout: 60 });
    const a = await active(scf, f.FunctionName!);
    expect(a).toMatchObject({ Timeout: 60, MemorySize: 256, Description: "submits batch jobs", Environment: f.Environment });
    await scf.UpdateFunctionConfiguration({ FunctionName: f.FunctionName!, Environment: { Variables: [{ Key: "ONLY", Value: "1" }] } });
    expect((await active(scf, f.FunctionName!)).Environment).toEqual({ Variables: [{ Key: "ONLY", Value: "1" }] });
    expect(await errorOf(scf.UpdateFunctionConfiguration({ FunctionName: f.FunctionName!, Runtime: "Python3.9" }))).toMatch(/^InvalidParameterValue\.Runtime: /);
  });

  it("refuses every change while the function is Updating, with the code SCF gives each action", async () => {
    const f = await createActive(slowScf);
    const FunctionName = f.FunctionName!;
    await slowScf.UpdateFunctionConfiguration({ FunctionName, MemorySize: 512 });
    expect(await errorOf(slowScf.UpdateFunctionCode({ FunctionName, ZipFile: zip("x") }))).toBe(
      "FailedOperation.UpdateFunctionCode: The function's status is Updating; retry when it is Active.",
    );
    expect(await errorOf(slowScf.UpdateFunctionConfiguration({ FunctionName, Timeout: 9 }))).toMatch(/^FailedOperation\.UpdateFunctionConfiguration: .*Updating/);
    expect(await errorOf(slowScf.CreateTrigger({ FunctionName, TriggerName: "t", Type: "timer", TriggerDesc: "0 */5 * * * * *" }))).toMatch(/^FailedOperation\.CreateTrigger: /);
    expect(await errorOf(slowScf.DeleteFunction({ FunctionName }))).toMatch(/^FailedOperation\.DeleteFunction: /);
    expect((await slowScf.GetFunction({ FunctionName })).MemorySize).toBe(512);
  });

  it("ends a change in UpdateFailed (giving back what the update changed) or CreateFailed after fail-next; a later change converges", async () => {
    const f = await createActive(scf);
    const FunctionName = f.FunctionName!;
    const hook = await emulatorRoute(t, "POST", "/scf/fail-next", { FunctionName, Phase: "update", ErrorCode: "InternalError.System", ErrorMessage: "layer mount failed" });
    expect(hook.status).toBe(200);
    await scf.UpdateFunctionConfiguration({ FunctionName, MemorySize: 1024 });
    const failed = await active(scf, FunctionName, "UpdateFailed");
    expect(failed.StatusReasons).toEqual([{ ErrorCode: "InternalError.System", ErrorMessage: "layer mount failed" }]);
    expect(failed.MemorySize).toBe(256);
    await scf.UpdateFunctionConfiguration({ FunctionName, MemorySize: 1024 });
    expect((await active(scf, FunctionName)).StatusReasons).toEqual([]);

    const name = `fn-test-${++seq}`;
    await emulatorRoute(t, "POST", "/scf/fail-next", { FunctionName: name, Phase: "create" });
    await scf.CreateFunction(fnReq((r) => (r.FunctionName = name)));
    expect((await active(scf, name, "CreateFailed")).StatusReasons?.[0]?.ErrorCode).toBe("InternalError");
    await scf.UpdateFunctionCode({ FunctionName: name, ZipFile: zip("fixed") });
    await active(scf, name);
  });

  it("deletes a function with its triggers; an unknown function is ResourceNotFound.Function", async () => {
    const f = await createActive(scf);
    const FunctionName = f.FunctionName!;
    await scf.CreateTrigger({ FunctionName, TriggerName: "every-5m", Type: "timer", TriggerDesc: "0 */5 * * * * *" });
    await scf.DeleteFunction({ FunctionName });
    expect(await errorOf(scf.GetFunction({ FunctionName }))).toMatch(/^ResourceNotFound\.Function: /);
    expect(await errorOf(scf.ListTriggers({ FunctionName }))).toMatch(/^ResourceNotFound\.Function: /);
    expect((await adminFunctions(t)).some((x) => x.FunctionName === FunctionName)).toBe(false);
    expect(await errorOf(scf.GetFunction({ FunctionName: "never-created" }))).toMatch(/^ResourceNotFound\.Function: /);
    expect(await errorOf(scf.GetFunction({ FunctionName, Namespace: "other" }))).toMatch(/^ResourceNotFound\.Function: /);
  });
});

describe("ListFunctions", () => {
  it("finds a namespace's functions by part of the name, with their tags and status, paged", async () => {
    const ns = `ns${++seq}`;
    for (const name of ["svc-a", "svc-b", "other"]) await scf.CreateFunction(fnReq((r) => Object.assign(r, { FunctionName: name, Namespace: ns, Tags: [{ Key: "owner", Value: "svc" }] })));
    const svc = await scf.ListFunctions({ Namespace: ns, SearchKey: "svc", Order: "ASC", Orderby: "FunctionName" });
    expect(svc.TotalCount).toBe(2);
    expect(svc.Functions?.map((f) => [f.FunctionName, f.Namespace, f.Tags])).toEqual([
      ["svc-a", ns, [{ Key: "owner", Value: "svc" }]],
      ["svc-b", ns, [{ Key: "owner", Value: "svc" }]],
    ]);
    const paged = await scf.ListFunctions({ Namespace: ns, Offset: 1, Limit: 1, Order: "ASC", Orderby: "FunctionName" });
    expect([paged.TotalCount, paged.Functions?.map((f) => f.FunctionName)]).toEqual([3, ["svc-a"]]);
    const creating = await scf.ListFunctions({ Namespace: ns, Filters: [{ Name: "Status", Values: ["Creating"] }] });
    expect(creating.TotalCount).toBe(3);
    expect((await scf.GetFunction({ FunctionName: "svc-a", Namespace: ns })).Tags).toEqual([{ Key: "owner", Value: "svc" }]);
    expect((await scf.ListFunctions({ Namespace: "default", SearchKey: "svc-" })).TotalCount).toBe(0);
  });
});

describe("CreateFunction validation", () => {
  it.each([
    ["an unknown runtime", (r: CreateFunctionRequest) => (r.Runtime = "Nodejs99"), /^InvalidParameterValue\.Runtime: /],
    ["a name ending in -", (r: CreateFunctionRequest) => (r.FunctionName = "bad-"), /^InvalidParameter\.FunctionName: /],
    ["a name starting with a digit", (r: CreateFunctionRequest) => (r.FunctionName = "1fn"), /^InvalidParameter\.FunctionName: /],
    ["MemorySize 200", (r: CreateFunctionRequest) => (r.MemorySize = 200), /^InvalidParameterValue\.MemorySize: /],
    ["Timeout 901", (r: CreateFunctionRequest) => (r.Timeout = 901), /^LimitExceeded\.Timeout: /],
    ["a zip that is not one", (r: CreateFunctionRequest) => (r.Code = { ZipFile: Buffer.from("hello").toString("base64") }), /^InvalidParameterValue\.ZipFile: .*PK/],
    ["bad base64", (r: CreateFunctionRequest) => (r.Code = { ZipFile: "UEsDBA=x" }), /^InvalidParameterValue\.ZipFileBase64BinasciiError: /],
    ["no code", (r: CreateFunctionRequest) => (r.Code = {}), /^MissingParameter\.Code: /],
  ])("refuses %s", async (_what, change, code) => {
    expect(await errorOf(scf.CreateFunction(fnReq(change)))).toMatch(code);
  });

  it("refuses an existing name with ResourceInUse.Function", async () => {
    const f = await createActive(scf);
    expect(await errorOf(scf.CreateFunction(fnReq((r) => (r.FunctionName = f.FunctionName!))))).toMatch(/^ResourceInUse\.Function: /);
  });

  it("refuses zips over the inline limits: 50 MB in Code.ZipFile, 20 MB in UpdateFunctionCode's ZipFile", async () => {
    const big = (mib: number) => Buffer.concat([Buffer.from("PK\x03\x04", "latin1"), Buffer.alloc(mib * 1024 * 1024 - 3)]).toString("base64");
    expect(await errorOf(scf.CreateFunction(fnReq((r) => (r.Code = { ZipFile: big(50) }))))).toMatch(/^InvalidParameterValue\.ZipFile: .*50 MB/);
    const f = await createActive(scf);
    expect(await errorOf(scf.UpdateFunctionCode({ FunctionName: f.FunctionName!, ZipFile: big(20) }))).toMatch(/^InvalidParameterValue\.ZipFile: .*20 MB/);
  }, 30_000);
});

describe("triggers", () => {
  it("creates a timer trigger that GetFunction and ListTriggers show; refuses a bad cron and a duplicate name", async () => {
    const { FunctionName } = await createActive(scf);
    const fn = FunctionName!;
    const res = await scf.CreateTrigger({ FunctionName: fn, TriggerName: "nightly", Type: "timer", TriggerDesc: "0 0 2 * * * *", Enable: "CLOSE", CustomArgument: "{\"mode\":\"report\"}" });
    expect(res.TriggerInfo).toMatchObject({ Type: "timer", TriggerName: "nightly", TriggerDesc: JSON.stringify({ cron: "0 0 2 * * * *" }), Enable: 0, CustomArgument: "{\"mode\":\"report\"}" });
    expect((await scf.GetFunction({ FunctionName: fn })).Triggers).toEqual([expect.objectContaining({ TriggerName: "nightly", Enable: 0, AddTime: expect.stringMatching(SCF_TIME) })]);
    const list = await scf.ListTriggers({ FunctionName: fn });
    expect(list.TotalCount).toBe(1);
    expect(list.Triggers?.[0]?.TriggerName).toBe("nightly");
    expect(await errorOf(scf.CreateTrigger({ FunctionName: fn, TriggerName: "bad", Type: "timer", TriggerDesc: "*/5 * * * *" }))).toMatch(/^InvalidParameterValue\.TriggerDesc: /);
    expect(await errorOf(scf.CreateTrigger({ FunctionName: fn, TriggerName: "bad", Type: "timer", TriggerDesc: "0 0 25 * * * *" }))).toMatch(/^InvalidParameterValue\.TriggerDesc: /);
    expect(await errorOf(scf.CreateTrigger({ FunctionName: fn, TriggerName: "nightly", Type: "timer", TriggerDesc: "0 0 3 * * * *" }))).toMatch(/^ResourceInUse\.Trigger: /);
  });

  it("gives an http trigger a stable ExtranetUrl, allows one per function, and refuses apigw and cmq", async () => {
    const { FunctionName } = await createActive(scf);
    const fn = FunctionName!;
    const desc = JSON.stringify({ AuthType: "NONE", NetConfig: { EnableIntranet: false, EnableExtranet: true } });
    const first = await scf.CreateTrigger({ FunctionName: fn, TriggerName: "url", Type: "http", TriggerDesc: desc });
    const url = JSON.parse(first.TriggerInfo!.TriggerDesc!).NetConfig.ExtranetUrl as string;
    expect(url).toMatch(/^https:\/\/1250000000-[a-z0-9]{10}\.ap-guangzhou\.tencentscf\.com$/);
    expect(await errorOf(scf.CreateTrigger({ FunctionName: fn, TriggerName: "url2", Type: "http", TriggerDesc: desc }))).toMatch(/^LimitExceeded\.Trigger: /);
    await scf.DeleteTrigger({ FunctionName: fn, TriggerName: "url", Type: "http" });
    const again = await scf.CreateTrigger({ FunctionName: fn, TriggerName: "url", Type: "http", TriggerDesc: desc });
    expect(JSON.parse(again.TriggerInfo!.TriggerDesc!).NetConfig.ExtranetUrl).toBe(url);
    expect(await errorOf(scf.CreateTrigger({ FunctionName: fn, TriggerName: "gw", Type: "apigw", TriggerDesc: "{}" }))).toMatch(/^InvalidParameterValue\.Type: .*no longer/);
    expect(await errorOf(scf.CreateTrigger({ FunctionName: fn, TriggerName: "q", Type: "cmq", TriggerDesc: "{}" }))).toMatch(/^InvalidParameterValue\.Type: .*no longer/);
    expect(await errorOf(scf.CreateTrigger({ FunctionName: fn, TriggerName: "x", Type: "http", TriggerDesc: "{\"AuthType\":\"NONE\"}" }))).toMatch(/^InvalidParameterValue\.TriggerDesc: /);
  });

  it("deletes a trigger; an unknown one (legacy types included) is ResourceNotFound.Trigger", async () => {
    const { FunctionName } = await createActive(scf);
    const fn = FunctionName!;
    await scf.CreateTrigger({ FunctionName: fn, TriggerName: "t", Type: "timer", TriggerDesc: "0 */5 * * * * *" });
    await scf.DeleteTrigger({ FunctionName: fn, TriggerName: "t", Type: "timer" });
    expect((await scf.ListTriggers({ FunctionName: fn })).TotalCount).toBe(0);
    expect(await errorOf(scf.DeleteTrigger({ FunctionName: fn, TriggerName: "t", Type: "timer" }))).toMatch(/^ResourceNotFound\.Trigger: /);
    expect(await errorOf(scf.DeleteTrigger({ FunctionName: fn, TriggerName: "old-gw", Type: "apigw" }))).toMatch(/^ResourceNotFound\.Trigger: /);
  });
});

describe("counters, faults, signatures", () => {
  it("counts SCF actions and injects faults into them", async () => {
    const { FunctionName } = await createActive(scf);
    await emulatorRoute(t, "DELETE", "/counters");
    await emulatorRoute(t, "POST", "/faults", { action: "UpdateFunctionConfiguration", code: "RequestLimitExceeded", count: 1 });
    expect(await errorOf(scf.UpdateFunctionConfiguration({ FunctionName: FunctionName!, Timeout: 10 }))).toMatch(/^RequestLimitExceeded: /);
    await scf.UpdateFunctionConfiguration({ FunctionName: FunctionName!, Timeout: 10 });
    await scf.GetFunction({ FunctionName: FunctionName! });
    const counters = (await emulatorRoute<Record<string, number>>(t, "GET", "/counters")).json;
    expect(counters).toEqual({ UpdateFunctionConfiguration: 2, GetFunction: 1 });
  });

  it("accepts the scf credential scope for 2018-04-16 and refuses batch's", async () => {
    const call = async (service: string) =>
      (await signedCall(t, { action: "GetFunction", version: "2018-04-16", body: JSON.stringify({ FunctionName: "never-created" }), sign: { service } })).Error?.Code;
    expect(await call("scf")).toBe("ResourceNotFound.Function");
    expect(await call("batch")).toBe("AuthFailure.SignatureFailure");
  });
});

describe("durability", () => {
  it("keeps functions, triggers, a half-done change and CMQ subscriptions across a restart", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "scf-emu-"));
    try {
      const timings = { scfCreateMs: 0, scfUpdateMs: 100 };
      const a = await startTestEmulator({ dataDir, timings });
      const scfA = scfClient(a);
      const f = await createActive(scfA);
      await scfA.CreateTrigger({ FunctionName: f.FunctionName!, TriggerName: "t", Type: "timer", TriggerDesc: "0 */5 * * * * *" });
      await emulatorRoute(a, "POST", "/scf/fail-next", { FunctionName: f.FunctionName!, Phase: "update" });
      await scfA.UpdateFunctionCode({ FunctionName: f.FunctionName!, ZipFile: zip("v2") });
      await tdmqClient(a).CreateCmqTopic({ TopicName: "batch-events" });
      await tdmqClient(a).CreateCmqSubscribe({ TopicName: "batch-events", SubscriptionName: "to-scf", Protocol: "http", Endpoint: "http://example.com/e" });
      await a.stop();

      const b = await startTestEmulator({ dataDir, timings });
      const scfB = scfClient(b);
      const after = await active(scfB, f.FunctionName!, "UpdateFailed");
      expect(after.Triggers?.map((x) => x.TriggerName)).toEqual(["t"]);
      expect((await scfB.GetFunctionAddress({ FunctionName: f.FunctionName! })).CodeSha256).toBe(sha256(zipBytes("exports.main_handler = async () => 'ok';")));
      const subs = await tdmqClient(b).DescribeCmqSubscriptionDetail({ TopicName: "batch-events" });
      expect(subs.SubscriptionSet?.map((s) => s.Endpoint)).toEqual(["http://example.com/e"]);
      const state = (await emulatorRoute<{ scfFunctions: unknown[]; cmqSubscriptions: unknown[] }>(b, "GET", "/state")).json;
      expect([state.scfFunctions.length, state.cmqSubscriptions.length]).toEqual([1, 1]);
      const old = await emulatorRoute(b, "PUT", "/state", { version: 1, envs: [], jobs: [], activities: [], tokens: [] });
      expect(old.status).toBe(200);
      expect(await adminFunctions(b)).toEqual([]);
      await b.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
