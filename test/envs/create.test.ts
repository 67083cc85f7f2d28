import { describe, expect, it } from "vitest";
import { buildCreateEnv, CreateEnvBodySchema, createEnvRules } from "../../functions/envs/create";
import { isAppError } from "../../shared/errors";
import { checkBody } from "../../shared/http/handler";
import { clientTokenFor, IDEMPOTENCY_KEY } from "../../shared/idempotency";
import { createBody } from "./harness";

type Body = { Placement: { Zone: string }; ComputeEnv: Record<string, unknown>; ClientToken?: string };
const base = (): Body => createBody("render", 2) as unknown as Body;

/** POST /envs's body step as the HTTP layer runs it (shape, rules, Idempotency-Key), then the request it builds. */
function planCreateEnv(body: unknown, region: string, opts: { caller: string; idempotencyKey?: string | undefined }) {
  const route = { body: CreateEnvBodySchema, rules: createEnvRules([region]), idempotency: IDEMPOTENCY_KEY } as Parameters<typeof checkBody>[0];
  const c = checkBody(route, body, opts.idempotencyKey === undefined ? {} : { "idempotency-key": opts.idempotencyKey });
  return buildCreateEnv(c.body as Parameters<typeof buildCreateEnv>[0], { caller: opts.caller, idempotencyKey: c.idempotencyKey, warnings: c.warnings });
}
const plan = (body: unknown, idempotencyKey?: string) => planCreateEnv(body, "ap-guangzhou", { caller: "writer", idempotencyKey });

function issues(body: unknown, key?: string): Array<{ path: string; message: string }> {
  try {
    plan(body, key);
  } catch (e) {
    if (isAppError(e) && e.status === 400) return e.issues;
    throw e;
  }
  return [];
}

describe("planCreateEnv: product rules, each naming the field", () => {
  const cases: Array<[string, (b: Body) => void, string, RegExp]> = [
    ["BS1 outside its zones", (b) => {
      b.Placement.Zone = "ap-guangzhou-4";
    }, "ComputeEnv.EnvData.InstanceType", /only in ap-guangzhou-2 and ap-shanghai-1/],
    ["BS1 in a list, outside its zones", (b) => {
      b.Placement.Zone = "ap-guangzhou-3";
      b.ComputeEnv.EnvData = { InstanceTypes: ["S5.LARGE8", "BS1.LARGE24"], ImageId: "img-31tjrtph" };
    }, "ComputeEnv.EnvData.InstanceTypes[1]", /BS1/],
    ["zone of another region", (b) => {
      b.Placement.Zone = "ap-shanghai-1";
    }, "Placement.Zone", /zone ap-shanghai-1 is not in this API's region ap-guangzhou/],
    ["malformed image id", (b) => {
      b.ComputeEnv.EnvData = { InstanceType: "BS1.LARGE8", ImageId: "ubuntu" };
    }, "ComputeEnv.EnvData.ImageId", /img-xxxxxxxx/],
    ["two instance choices", (b) => {
      b.ComputeEnv.EnvData = { InstanceType: "BS1.LARGE8", InstanceTypes: ["BS1.LARGE8"] };
    }, "ComputeEnv.EnvData", /only one of/],
    ["COS JSON-API domain", (b) => {
      Object.assign(b.ComputeEnv, { InputMappings: [{ SourcePath: "cos://data-1250000000.cosgz.myqcloud.com/in/", DestinationPath: "/in/" }] });
    }, "ComputeEnv.InputMappings[0].SourcePath", /XML-API domain/],
    ["COS bucket in another region", (b) => {
      Object.assign(b.ComputeEnv, { InputMappings: [{ SourcePath: "cos://data-1250000000.cos.ap-beijing.myqcloud.com/in/", DestinationPath: "/in/" }] });
    }, "ComputeEnv.InputMappings[0].SourcePath", /region/],
    ["CFS path without trailing slash", (b) => {
      Object.assign(b.ComputeEnv, { InputMappings: [{ SourcePath: "cfs://10.66.140.208/share", DestinationPath: "/mnt/" }] });
    }, "ComputeEnv.InputMappings[0].SourcePath", /end with \//],
    ["http source", (b) => {
      Object.assign(b.ComputeEnv, { InputMappings: [{ SourcePath: "http://example.com/", DestinationPath: "/in/" }] });
    }, "ComputeEnv.InputMappings[0].SourcePath", /cos:\/\/, cfs:\/\/ or nfs:\/\//],
    ["relative mapping destination", (b) => {
      Object.assign(b.ComputeEnv, { InputMappings: [{ SourcePath: "nfs://10.0.0.2/a/", DestinationPath: "in/" }] });
    }, "ComputeEnv.InputMappings[0].DestinationPath", /absolute/],
    ["relative data disk path", (b) => {
      Object.assign(b.ComputeEnv, { MountDataDisks: [{ LocalPath: "data" }] });
    }, "ComputeEnv.MountDataDisks[0].LocalPath", /absolute/],
    ["a job event on an env", (b) => {
      Object.assign(b.ComputeEnv, { Notifications: [{ TopicName: "events", EventConfigs: [{ EventName: "JobFailed", EventVars: [] }] }] });
    }, "ComputeEnv.Notifications[0].EventConfigs[0].EventName", /not an event of a compute environment/],
    ["the same event twice in two spellings", (b) => {
      Object.assign(b.ComputeEnv, { Notifications: [{ TopicName: "events", EventConfigs: [{ EventName: "COMPUTE_NODE_ABNORMAL", EventVars: [] }, { EventName: "ComputeNodeAbnormal", EventVars: [] }] }] });
    }, "ComputeEnv.Notifications[0].EventConfigs[1].EventName", /twice/],
    ["topic name with a dot", (b) => {
      Object.assign(b.ComputeEnv, { Notifications: [{ TopicName: "a.b", EventConfigs: [{ EventName: "COMPUTE_ENV_CREATED" }] }] });
    }, "ComputeEnv.Notifications[0].TopicName", /letters, digits/],
    ["eleven tags", (b) => {
      Object.assign(b.ComputeEnv, { Tags: Array.from({ length: 11 }, (_, i) => ({ Key: `k${i}`, Value: "v" })) });
    }, "ComputeEnv.Tags", /at most 10/],
    ["a duplicate tag key", (b) => {
      Object.assign(b.ComputeEnv, { Tags: [{ Key: "team", Value: "a" }, { Key: "team", Value: "b" }] });
    }, "ComputeEnv.Tags[1].Key", /twice/],
    ["desired over 2000", (b) => {
      b.ComputeEnv.DesiredComputeNodeCount = 2001;
    }, "ComputeEnv.DesiredComputeNodeCount", /2000/],
    ["an unknown field (typo)", (b) => {
      Object.assign(b.ComputeEnv, { DesiredCount: 3 });
    }, "ComputeEnv.DesiredCount", /unknown field/],
    ["a long name", (b) => {
      b.ComputeEnv.EnvName = "x".repeat(61);
    }, "ComputeEnv.EnvName", /60/],
  ];
  it.each(cases)("%s", (_name, change, path, message) => {
    const b = base();
    change(b);
    const found = issues(b);
    const hit = found.find((i) => i.path === path);
    expect(hit, JSON.stringify(found)).toBeDefined();
    expect(hit?.message).toMatch(message);
  });
});

describe("planCreateEnv: every broken rule at once", () => {
  it("reports the shape pass and the rule pass together in one 400", () => {
    const b = base();
    b.Placement.Zone = "ap-guangzhou-4";
    b.ComputeEnv.EnvData = { InstanceType: "BS1.LARGE8", ImageId: "" };
    Object.assign(b.ComputeEnv, { InputMappings: [{ SourcePath: "cos://data-1250000000.cosgz.myqcloud.com/in/", DestinationPath: "in/" }] });
    const found = issues(b);
    expect(found.map((i) => i.path)).toEqual([
      "ComputeEnv.EnvData.ImageId",
      "ComputeEnv.InputMappings[0].DestinationPath",
      "ComputeEnv.EnvData.InstanceType",
      "ComputeEnv.InputMappings[0].SourcePath",
    ]);
    expect(found[0]!.message).toMatch(/img-31tjrtph \(CentOS 7\.2.*img-er9shcln \(Windows Server 2012 R2.*img-pyqx34y1 \(Ubuntu Server 16\.04/);
    expect(found[3]!.message).toMatch(/XML-API domain/);
  });
});

describe("planCreateEnv: what Batch gets", () => {
  it("passes the known cloud-init images silently and warns on others", () => {
    expect(plan(base()).warnings).toEqual([]);
    const b = base();
    b.ComputeEnv.EnvData = { InstanceType: "BS1.LARGE8", ImageId: "img-zzzzzzzz" };
    expect(plan(b).warnings[0]).toMatchObject({ path: "ComputeEnv.EnvData.ImageId", message: expect.stringMatching(/img-zzzzzzzz is not a known cloud-init image/) });
  });

  it("sends event names upper case, whichever spelling came in", () => {
    const b = base();
    Object.assign(b.ComputeEnv, {
      Notifications: [{ TopicName: "events", EventConfigs: [{ EventName: "computeNodeCreated" }, { EventName: "COMPUTE_ENV_DELETED", EventVars: [{ Name: "team", Value: "vfx" }] }] }],
    });
    const n = plan(b).request.ComputeEnv.Notifications;
    expect(n).toEqual([
      {
        TopicName: "events",
        EventConfigs: [
          { EventName: "COMPUTE_NODE_CREATED", EventVars: [] },
          { EventName: "COMPUTE_ENV_DELETED", EventVars: [{ Name: "team", Value: "vfx" }] },
        ],
      },
    ]);
  });

  it("accepts remote storage per the path rules and absolute Windows paths", () => {
    const b = base();
    Object.assign(b.ComputeEnv, {
      InputMappings: [
        { SourcePath: "cos://data-1250000000.cos.ap-guangzhou.myqcloud.com/in/", DestinationPath: "/data/in/" },
        { SourcePath: "cfs://10.66.140.208/", DestinationPath: "C:\\data\\" },
        { SourcePath: "nfs://10.66.140.209/exports/", DestinationPath: "/mnt/nfs/" },
      ],
    });
    expect(issues(b)).toEqual([]);
  });

  it("Idempotency-Key (or the body's ClientToken) becomes a ClientToken scoped to the caller, and the idempotency tags; a different ClientToken in the body is refused", () => {
    // Unified with the jobs API: the key is no longer sent raw (it was, ≤ 64 characters) but hashed with the caller.
    const token = clientTokenFor("writer", "retry-42");
    expect(token).toMatch(/^bscf-[0-9a-f]{59}$/);
    const p = plan(base(), "retry-42");
    expect(p.request.ClientToken).toBe(token);
    expect(p.request.ComputeEnv.Tags?.map((t) => t.Key)).toEqual(["batch-scf/creator", "batch-scf/idempotency-key", "batch-scf/request-hash"]);
    expect(p.request.ComputeEnv.Tags?.[1]?.Value).toBe(token);
    expect(plan({ ...base(), ClientToken: "retry-42" }, "retry-42").request.ClientToken).toBe(token);
    expect(plan({ ...base(), ClientToken: "retry-42" }).request.ClientToken).toBe(token);
    expect(planCreateEnv(base(), "ap-guangzhou", { caller: "other", idempotencyKey: "retry-42" }).request.ClientToken).not.toBe(token);
    expect(issues({ ...base(), ClientToken: "other" }, "retry-42").map((i) => i.path)).toEqual(["ClientToken"]);
    expect(issues(base(), "x".repeat(65))).toEqual([]);
    expect(issues(base(), "x".repeat(256)).map((i) => i.path)).toEqual(["headers.idempotency-key"]);
    expect(issues(base(), "naïve").map((i) => i.path)).toEqual(["headers.idempotency-key"]);
    expect(plan(base()).request.ClientToken).toBeUndefined();
    expect(plan(base()).request.ComputeEnv.Tags).toEqual([{ Key: "batch-scf/creator", Value: "writer" }]);
  });

  it("tags the env with its creator after the caller's own tags", () => {
    const b = base();
    Object.assign(b.ComputeEnv, { Tags: [{ Key: "team", Value: "render" }] });
    expect(planCreateEnv(b, "ap-guangzhou", { caller: "alice" }).request.ComputeEnv.Tags).toEqual([
      { Key: "team", Value: "render" },
      { Key: "batch-scf/creator", Value: "alice" },
    ]);
  });

  it("leaves room for the creator tag (and a key's two tags) within Batch's 10, and reserves their keys", () => {
    const tags = (n: number) => Array.from({ length: n }, (_, i) => ({ Key: `k${i}`, Value: "v" }));
    const nine = base();
    Object.assign(nine.ComputeEnv, { Tags: tags(9) });
    expect(issues(nine)).toEqual([]);
    const ten = base();
    Object.assign(ten.ComputeEnv, { Tags: tags(10) });
    expect(issues(ten)).toEqual([{ path: "ComputeEnv.Tags", message: expect.stringMatching(/^at most 9 tags of your own: an env has at most 10 and this API adds batch-scf\/creator$/) }]);
    const eight = base();
    Object.assign(eight.ComputeEnv, { Tags: tags(8) });
    expect(issues(eight, "k")).toEqual([
      {
        path: "ComputeEnv.Tags",
        message: "at most 7 tags of your own with an idempotency key: an env has at most 10 and this API adds batch-scf/creator, batch-scf/idempotency-key, batch-scf/request-hash",
      },
    ]);
    const seven = base();
    Object.assign(seven.ComputeEnv, { Tags: tags(7) });
    expect(issues(seven, "k")).toEqual([]);
    const reserved = base();
    Object.assign(reserved.ComputeEnv, {
      Tags: [{ Key: "batch-scf/request-hash", Value: "x" }, { Key: "batch-scf/remediation", Value: "off" }, { Key: "batch-scf/creator", Value: "alice" }],
    });
    expect(issues(reserved)).toEqual([
      { path: "ComputeEnv.Tags[0].Key", message: expect.stringMatching(/reserved: this API sets it for an Idempotency-Key/) },
      { path: "ComputeEnv.Tags[2].Key", message: "batch-scf/creator is reserved: this API sets it to the creating API key's name" },
    ]);
  });

  it("knows the instance types nodes will have, also from InstanceTypeOptions", () => {
    const b = base();
    b.ComputeEnv.EnvData = { InstanceTypeOptions: { CPU: 12, Memory: 24 }, ImageId: "img-31tjrtph" };
    expect(plan(b).instanceTypes).toEqual(["BS1.LARGE24"]);
  });
});
