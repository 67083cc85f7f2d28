// The deploy's pure decision core: desired vs actual → changes.
import { describe, expect, it } from "vitest";
import { type Actual, type ActualFunction, type Desired, type DesiredFunction, servedRegions } from "../../scripts/deploy/model";
import { irreversible, maskEndpoint, planDeploy, planRemove, pushEndpoint } from "../../scripts/deploy/plan";

const URL_DESC = JSON.stringify({ AuthType: "NONE", NetConfig: { EnableIntranet: false, EnableExtranet: true } });
const URL = "https://1250000000-abcdefghij.ap-guangzhou.tencentscf.com";
const TOKEN = "t".repeat(43);

function want(change: (f: DesiredFunction) => void = () => {}): DesiredFunction {
  const f: DesiredFunction = {
    key: "na",
    name: "svc-prod-na",
    line: 1,
    code: { shown: "dist/na.zip", path: "/x/dist/na.zip", sha256: "ab".repeat(32), bytes: 10 },
    settings: { Runtime: "Nodejs18.15", Handler: "index.main_handler", MemorySize: 256, Timeout: 30, Role: "SCF_BatchRole", Description: "d", Environment: { LOG_LEVEL: "info" } },
    triggers: [
      { Type: "timer", TriggerName: "sweep", TriggerDesc: "0 */5 * * * * *", CustomArgument: "", Enable: true },
      { Type: "http", TriggerName: "url-trigger", TriggerDesc: URL_DESC, CustomArgument: "", Enable: true },
    ],
    subscriptions: [{ topic: "events", name: "svc-prod-na" }],
    needsPushToken: true,
  };
  change(f);
  return f;
}

function have(change: (f: ActualFunction) => void = () => {}): ActualFunction {
  const f: ActualFunction = {
    name: "svc-prod-na",
    status: "Active",
    statusReasons: [],
    settings: {
      Runtime: "Nodejs18.15",
      Handler: "index.main_handler",
      MemorySize: 256,
      Timeout: 30,
      Role: "qcs::cam::uin/100000000001:roleName/SCF_BatchRole",
      Description: "d",
      Environment: { LOG_LEVEL: "info", CMQ_PUSH_TOKEN: TOKEN },
    },
    codeSha256: Buffer.from("ab".repeat(32), "hex").toString("base64"),
    triggers: [
      { Type: "timer", TriggerName: "sweep", TriggerDesc: "0 */5 * * * * *", CustomArgument: "", Enable: true },
      { Type: "http", TriggerName: "url-trigger", TriggerDesc: JSON.stringify({ ...JSON.parse(URL_DESC), NetConfig: { EnableIntranet: false, EnableExtranet: true, ExtranetUrl: URL } }), CustomArgument: "", Enable: true },
    ],
    tags: { "batch-scf-service": "svc", "batch-scf-stage": "prod" },
  };
  change(f);
  return f;
}

const desired = (...functions: DesiredFunction[]): Desired => ({ file: "/x/serverless.yml", service: "svc", stage: "prod", region: "ap-guangzhou", eventRegions: ["ap-guangzhou"], namespace: "default", owner: "svc-prod", topics: ["events"], functions });
function account(fns: ActualFunction[], endpoint: string | undefined = pushEndpoint(URL, TOKEN)): Actual {
  return {
    functions: new Map(fns.map((f) => [f.name, f])),
    topics: new Map([["ap-guangzhou/events", true]]),
    subscriptions: new Map(endpoint ? [["ap-guangzhou/events/svc-prod-na", { region: "ap-guangzhou", topic: "events", name: "svc-prod-na", protocol: "http", endpoint, format: "JSON" }]] : []),
    orphans: [],
    unowned: [],
  };
}
const kinds = (p: ReturnType<typeof planDeploy>) => p.changes.map((c) => c.kind);

describe("planDeploy", () => {
  it("nothing to change when the account matches: base64 CodeSha256, the role's full name, the URL's ExtranetUrl", () => {
    const p = planDeploy(desired(want()), account([have()]), { newToken: "new" });
    expect(p.changes).toEqual([]);
    expect(p.unchanged).toEqual(["svc-prod-na"]);
  });

  it("keeps the push token the function already has; generates none when it has one", () => {
    const p = planDeploy(desired(want((f) => (f.settings.MemorySize = 512))), account([have()]), { newToken: "new" });
    const c = p.changes[0];
    expect(c?.kind === "update-config" && c.settings.Environment.CMQ_PUSH_TOKEN).toBe(TOKEN);
    expect(c?.kind === "update-config" && c.fields).toEqual(["MemorySize 256 → 512"]);
  });

  it("names changed variables, never their values", () => {
    const p = planDeploy(desired(want((f) => (f.settings.Environment = { API_KEYS: "app:secretsecretsecret", LOG_LEVEL: "debug" }))), account([have()]), { newToken: "new" });
    const c = p.changes[0];
    expect(c?.kind === "update-config" && c.fields).toEqual(["Environment (+API_KEYS ~LOG_LEVEL)"]);
    expect(JSON.stringify(c?.kind === "update-config" && c.fields)).not.toContain("secret");
  });

  it("replaces a changed timer, deletes a trigger the file lost (legacy ones flagged), keeps the Function URL", () => {
    const p = planDeploy(
      desired(want((f) => (f.triggers[0] = { ...f.triggers[0]!, TriggerDesc: "0 */10 * * * * *" } as DesiredFunction["triggers"][number]))),
      account([have((f) => f.triggers.push({ Type: "apigw", TriggerName: "old", TriggerDesc: "{}", CustomArgument: "", Enable: true }))]),
      { newToken: "new" },
    );
    expect(p.changes.map((c) => (c.kind === "delete-trigger" ? `${c.kind} ${c.trigger.TriggerName} ${c.reason}` : c.kind === "add-trigger" ? `${c.kind} ${c.trigger.TriggerName}` : c.kind))).toEqual([
      "delete-trigger sweep changed",
      "delete-trigger old not in the file (SCF can no longer create this type: it cannot come back)",
      "add-trigger sweep",
    ]);
  });

  it("a Function URL whose settings changed is replaced, and the plan warns that its URL changes", () => {
    const p = planDeploy(desired(want()), account([have((f) => (f.triggers[1]!.TriggerDesc = JSON.stringify({ AuthType: "CAM", NetConfig: { EnableExtranet: true } })))]), { newToken: "new" });
    expect(kinds(p)).toEqual(["delete-trigger", "add-trigger", "delete-subscription", "add-subscription"]);
    expect(p.notes.join()).toMatch(/URL changes/);
  });

  it("re-subscribes when the endpoint's token differs; an http:// fallback endpoint counts as the same", () => {
    expect(kinds(planDeploy(desired(want()), account([have()], pushEndpoint(URL, "other")), { newToken: "new" }))).toEqual(["delete-subscription", "add-subscription"]);
    expect(kinds(planDeploy(desired(want()), account([have()], pushEndpoint(URL, TOKEN, "http")), { newToken: "new" }))).toEqual([]);
  });

  it("creates function, triggers, topic and subscription in a clean account, with a new token", () => {
    const a = account([], "");
    a.topics.set("ap-guangzhou/events", false);
    const p = planDeploy(desired(want()), a, { newToken: "fresh" });
    expect(kinds(p)).toEqual(["create-function", "add-trigger", "add-trigger", "create-topic", "add-subscription"]);
    const c = p.changes[0];
    expect(c?.kind === "create-function" && c.settings.Environment.CMQ_PUSH_TOKEN).toBe("fresh");
  });

  it("deletes an orphan (a function this file created and no longer names), and only that", () => {
    const a = account([have()]);
    a.orphans.push(have((f) => (f.name = "svc-prod-gone")));
    expect(planDeploy(desired(want()), a, { newToken: "x" }).changes).toEqual([{ kind: "delete-function", function: "svc-prod-gone", reason: "no longer in serverless.yml" }]);
  });
});

describe("what real SCF and TDMQ answer", () => {
  it("a timer SCF gives back as {\"cron\": …} is the same timer", () => {
    const p = planDeploy(desired(want()), account([have((f) => (f.triggers[0]!.TriggerDesc = JSON.stringify({ cron: "0  */5 * * * * *" })))]), { newToken: "x" });
    expect(p.changes).toEqual([]);
  });
  it("a subscription whose protocol and format come back upper case is the same subscription", () => {
    const a = account([have()]);
    a.subscriptions.set("ap-guangzhou/events/svc-prod-na", { region: "ap-guangzhou", topic: "events", name: "svc-prod-na", protocol: "HTTP", endpoint: pushEndpoint(URL, TOKEN), format: "json" });
    expect(planDeploy(desired(want()), a, { newToken: "x" }).changes).toEqual([]);
  });
  it("a Function URL whose TriggerDesc leaves fields out is kept (never replaced on a guess)", () => {
    const p = planDeploy(desired(want()), account([have((f) => (f.triggers[1]!.TriggerDesc = JSON.stringify({ NetConfig: { ExtranetUrl: URL } })))]), { newToken: "x" });
    expect(p.changes).toEqual([]);
  });
});

describe("safety", () => {
  it("refuses a function the file names that this deploy did not create, unless adopted", () => {
    const a = account([have((f) => (f.tags = {}))]);
    a.unowned.push("svc-prod-na");
    expect(() => planDeploy(desired(want()), a, { newToken: "x" })).toThrow(/svc-prod-na exists but was not created by this deploy.*--adopt/);
    expect(planDeploy(desired(want()), a, { newToken: "x", adopt: true }).changes).toEqual([]);
    expect(planRemove(desired(want()), a).changes.map((c) => c.kind)).toEqual(["delete-subscription"]);
  });
  it("a function a past change left failed gets its code and every setting again", () => {
    const p = planDeploy(desired(want()), account([have((f) => (f.status = "CreateFailed"))]), { newToken: "x" });
    expect(kinds(p)).toEqual(["update-code", "update-config"]);
  });
  it("a runtime change is refused: SCF cannot change it", () => {
    expect(() => planDeploy(desired(want((f) => (f.settings.Runtime = "Nodejs20.x"))), account([have()]), { newToken: "x" })).toThrow(/cannot change a function's runtime/);
  });
  it("deletes the subscription of a disabled cmq event", () => {
    const off = want((f) => {
      f.subscriptions = [];
      f.needsPushToken = false;
    });
    const p = planDeploy(desired(off), account([have()]), { newToken: "x" });
    expect(p.changes.map((c) => c.kind)).toContain("delete-subscription");
  });
  it("gives each new subscriber its own push token (node-abnormal's and job-notify's differ)", () => {
    const second = want((f) => {
      f.key = "jn";
      f.name = "svc-prod-jn";
      f.subscriptions = [{ topic: "job-events", name: "svc-prod-jn" }];
    });
    const p = planDeploy({ ...desired(want(), second), topics: ["events", "job-events"] }, account([]), { newToken: (fn) => `token-of-${fn}` });
    const tokens = p.changes.flatMap((c) => (c.kind === "add-subscription" ? [[c.subscription.topic, c.token]] : []));
    expect(tokens).toEqual([
      ["events", "token-of-svc-prod-na"],
      ["job-events", "token-of-svc-prod-jn"],
    ]);
    const env = p.changes.flatMap((c) => (c.kind === "create-function" ? [c.settings.Environment.CMQ_PUSH_TOKEN] : []));
    expect(env).toEqual(["token-of-svc-prod-na", "token-of-svc-prod-jn"]);
    expect(p.changes.flatMap((c) => (c.kind === "create-topic" ? [c.topic] : []))).toEqual(["job-events"]); // "events" exists
  });

  it("names what a re-run cannot undo", () => {
    const a = account([have((f) => f.triggers.push({ Type: "apigw", TriggerName: "old", TriggerDesc: "{}", CustomArgument: "", Enable: true }))]);
    a.orphans.push(have((f) => (f.name = "svc-prod-gone")));
    expect(irreversible(planDeploy(desired(want()), a, { newToken: "x" }))).toEqual(["delete the apigw trigger old of svc-prod-na", "delete function svc-prod-gone"]);
  });
});

describe("planRemove", () => {
  it("subscriptions first, then each function's triggers and the function; functions the account lacks are skipped", () => {
    const p = planRemove(desired(want(), want((f) => {
      f.name = "svc-prod-absent";
      f.subscriptions = [{ topic: "events", name: "svc-prod-absent" }];
    })), account([have()]));
    expect(kinds(p)).toEqual(["delete-subscription", "delete-trigger", "delete-trigger", "delete-function"]);
  });
});

describe("several served regions (BATCH_REGIONS)", () => {
  const TWO = ["ap-guangzhou", "ap-shanghai"];
  const inRegions = (regions: string[], ...fns: DesiredFunction[]): Desired => ({ ...desired(...fns), eventRegions: regions });
  const sub = (region: string, endpoint = pushEndpoint(URL, TOKEN)) => ({ region, topic: "events", name: "svc-prod-na", protocol: "http", endpoint, format: "JSON" });
  /** The account after a deploy to `regions`: the function, and topic + subscription in each. */
  function deployedTo(regions: string[]): Actual {
    const a = account([have()], "");
    for (const r of regions) {
      a.topics.set(`${r}/events`, true);
      a.subscriptions.set(`${r}/events/svc-prod-na`, sub(r));
    }
    return a;
  }
  const where = (p: ReturnType<typeof planDeploy>) =>
    p.changes.map((c) =>
      c.kind === "create-topic" ? `${c.kind} ${c.topic} ${c.region}` : c.kind === "add-subscription" ? `${c.kind} ${c.subscription.topic} ${c.region}` : c.kind === "delete-subscription" ? `${c.kind} ${c.subscription.region} (${c.reason})` : c.kind,
    );

  it("creates the topic and the subscription in each served region, pushing to the one function and token", () => {
    const a = account([], "");
    a.topics.set("ap-guangzhou/events", false);
    const p = planDeploy(inRegions(TWO, want()), a, { newToken: "fresh" });
    expect(where(p)).toEqual([
      "create-function",
      "add-trigger",
      "add-trigger",
      "create-topic events ap-guangzhou",
      "create-topic events ap-shanghai",
      "add-subscription events ap-guangzhou",
      "add-subscription events ap-shanghai",
    ]);
    expect(p.changes.flatMap((c) => (c.kind === "add-subscription" ? [c.token] : []))).toEqual(["fresh", "fresh"]);
  });

  it("an existing one-region deploy gains only the new region's topic and subscription", () => {
    const a = deployedTo(["ap-guangzhou"]);
    expect(where(planDeploy(inRegions(TWO, want()), a, { newToken: "x" }))).toEqual(["create-topic events ap-shanghai", "add-subscription events ap-shanghai"]);
  });

  it("a second run over both regions changes nothing", () => {
    const p = planDeploy(inRegions(TWO, want()), deployedTo(TWO), { newToken: "x" });
    expect(p.changes).toEqual([]);
    expect(p.unchanged).toEqual(["svc-prod-na"]);
  });

  it("a region no longer served loses this deploy's subscription (first), not its topic", () => {
    const p = planDeploy(inRegions(["ap-guangzhou"], want()), deployedTo(TWO), { newToken: "x" });
    expect(where(p)).toEqual(["delete-subscription ap-shanghai (ap-shanghai no longer served (BATCH_REGIONS))"]);
    expect(p.notes).toEqual([]);
  });

  it("in a region no longer served, a same-named subscription pushing elsewhere is left alone, and the plan says so", () => {
    const a = deployedTo(["ap-guangzhou"]);
    a.subscriptions.set("ap-shanghai/events/svc-prod-na", sub("ap-shanghai", pushEndpoint("https://1250000000-other.ap-shanghai.tencentscf.com", "theirs")));
    for (const p of [planDeploy(inRegions(["ap-guangzhou"], want()), a, { newToken: "x" }), planRemove(inRegions(["ap-guangzhou"], want()), a)]) {
      expect(p.changes.some((c) => c.kind === "delete-subscription" && c.subscription.region === "ap-shanghai")).toBe(false);
      expect(p.notes.join()).toMatch(/svc-prod-na on topic events in ap-shanghai .*left alone/);
      expect(p.notes.join()).not.toContain("theirs");
    }
  });

  it("--remove deletes the subscription in every served region", () => {
    expect(where(planRemove(inRegions(TWO, want()), deployedTo(TWO)))).toEqual([
      "delete-subscription ap-guangzhou (--remove)",
      "delete-subscription ap-shanghai (--remove)",
      "delete-trigger",
      "delete-trigger",
      "delete-function",
    ]);
  });

  it("BATCH_REGIONS is read by the functions' own rule; unset or empty: the deploy's region", () => {
    expect(servedRegions(undefined, "ap-guangzhou")).toEqual(["ap-guangzhou"]);
    expect(servedRegions(" ", "ap-guangzhou")).toEqual(["ap-guangzhou"]);
    expect(servedRegions("ap-shanghai, ap-guangzhou", "ap-guangzhou")).toEqual(["ap-shanghai", "ap-guangzhou"]);
    expect(() => servedRegions("ap-guangzhou,ap-guangzhou-2", "ap-guangzhou")).toThrow(/^BATCH_REGIONS\.1: a region such as ap-guangzhou$/);
    expect(() => servedRegions("ap-shanghai,ap-shanghai", "ap-guangzhou")).toThrow(/BATCH_REGIONS\.1: ap-shanghai is listed twice/);
  });
});

it("maskEndpoint hides the token", () => {
  expect(maskEndpoint(pushEndpoint(URL, TOKEN))).toBe(`${URL}/cmq/***`);
});
