import { describe, expect, it } from "vitest";
import { batchError } from "../../shared/batch/errors";
import { parseApiKeys } from "../../shared/http";
import { memoryLogger } from "../../shared/log";
import { makeHandler } from "../../functions/jobs/entry";
import { jobsRoutes } from "../../functions/jobs/routes";
import { createJobsService } from "../../functions/jobs/service";
import { oneRegion } from "../../shared/batch/regions";
import apigwCaptured from "../fixtures/apigw-captured-style.json";
import apigwDocumented from "../fixtures/apigw-documented.json";
import functionUrl from "../fixtures/function-url.json";
import documentedExample from "../fixtures/submit-job-documented.json";
import { answerChecker } from "../support/http-answers";
import { fakeBatch } from "./fake-batch";

const WRITER = "writer-key-0123456789abcdef";
const READER = "reader-key-0123456789abcdef";
const OTHER = "other-key-0123456789abcdefg";
const KEYS = `app:${WRITER}:jobs:read|jobs:write,dash:${READER}:jobs:read,other:${OTHER}`;

/** batch-facts §2, verbatim. */
const DOCUMENTED_EXAMPLE = documentedExample as typeof documentedExample & { ClientToken?: string };

type Json = Record<string, unknown>;

function setup() {
  const fake = fakeBatch();
  const logger = memoryLogger({ function: "jobs" });
  const handler = makeHandler({ batch: fake.port, region: "ap-guangzhou", keys: parseApiKeys(KEYS), logger });
  return { fake, logger, handler };
}

interface Req {
  method?: string;
  path?: string;
  body?: unknown;
  key?: string;
  headers?: Record<string, string>;
  query?: Record<string, string | string[] | true>;
}

/** An API Gateway event (the documented fixture) with one request's fields changed. */
function apigw(r: Req) {
  const e = structuredClone(apigwDocumented) as Json & { headers: Record<string, string>; requestContext: Json };
  e.httpMethod = r.method ?? "POST";
  e.path = r.path ?? "/jobs";
  e.body = r.body === undefined ? "" : typeof r.body === "string" ? r.body : JSON.stringify(r.body);
  e.headers.Authorization = `Bearer ${r.key ?? WRITER}`;
  Object.assign(e.headers, r.headers ?? {});
  e.queryString = r.query ?? {};
  return e;
}

/** Every success answer below is parsed with its route's response schema (the OpenAPI document's). */
const answers = answerChecker(jobsRoutes(createJobsService({ regions: oneRegion("ap-guangzhou", fakeBatch().port) }), { region: "ap-guangzhou" }));

async function call(h: ReturnType<typeof setup>["handler"], event: unknown) {
  const res = await h(event);
  answers.check(event, res);
  return { ...res, json: (res.body ? JSON.parse(res.body) : undefined) as Json };
}

const clone = <T>(v: T): T => structuredClone(v);

describe("POST /jobs", () => {
  it("accepts the documented qcloudcli example as is: 201, JobId, Priority sent as a number, submitter tag", async () => {
    const { fake, handler } = setup();
    const r = await call(handler, apigw({ body: DOCUMENTED_EXAMPLE }));
    expect(r.statusCode).toBe(201);
    expect(r.json.JobId).toMatch(/^job-/);
    expect(r.headers.location).toBe(`/jobs/${r.json.JobId}`);
    // Behind a stage the Location keeps it, so a client can follow it as is.
    const staged = await call(handler, apigw({ body: DOCUMENTED_EXAMPLE, path: "/release/jobs" }));
    expect(staged.headers.location).toBe(`/release/jobs/${staged.json.JobId}`);
    expect(r.json.Submitter).toBe("app");
    expect(r.json.Warnings).toEqual([expect.objectContaining({ path: "Job.Tasks[0].ComputeEnv.EnvData.ImageId" })]);
    const sent = fake.jobs.get(r.json.JobId as string)!.request;
    expect(sent.Job.Priority).toBe(1);
    expect(sent.Job.Tags).toEqual([{ Key: "submitter", Value: "app" }]);
    expect(sent.Job.Tasks[0]?.Application.Command).toBe(DOCUMENTED_EXAMPLE.Job.Tasks[0]!.Application.Command);
  });

  it("serves the documented API Gateway fixture and a Function URL event alike", async () => {
    const { handler, fake } = setup();
    const gw = clone(apigwDocumented);
    gw.headers.Authorization = `Bearer ${WRITER}`;
    expect((await call(handler, gw)).statusCode).toBe(201);
    const fu = clone(functionUrl) as Json & { headers: Record<string, string> };
    fu.path = "/jobs";
    fu.queryString = {};
    fu.body = JSON.stringify(DOCUMENTED_EXAMPLE);
    fu.headers.authorization = `Bearer ${WRITER}`;
    const r = await call(handler, fu);
    expect(r.statusCode).toBe(201);
    expect(fake.jobs.size).toBe(2);
  });

  it("accepts Priority as a number and event names in either spelling, sending upper case", async () => {
    const { handler, fake } = setup();
    const body = clone(DOCUMENTED_EXAMPLE) as Json & { Job: Json };
    body.Job.Priority = 7;
    body.Job.Notifications = [{ TopicName: "batch-events", EventConfigs: [{ EventName: "JobFailed" }, { EventName: "TASK_SUCCEED", EventVars: [] }] }];
    const r = await call(handler, apigw({ body }));
    expect(r.statusCode).toBe(201);
    const sent = fake.jobs.get(r.json.JobId as string)!.request;
    expect(sent.Job.Priority).toBe(7);
    expect(sent.Job.Notifications?.[0]?.EventConfigs).toEqual([
      { EventName: "JOB_FAILED", EventVars: [] },
      { EventName: "TASK_SUCCEED", EventVars: [] },
    ]);
  });

  it("?dryRun=true returns the exact request (token, tags, secrets masked) and submits nothing", async () => {
    const { handler, fake } = setup();
    const body = clone(DOCUMENTED_EXAMPLE) as Json & { Job: { Tasks: Json[] } };
    body.Job.Tasks[0]!.Authentications = [{ Scene: "COS", SecretId: "AKIDxxx", SecretKey: "very-secret" }];
    const r = await call(handler, apigw({ body, query: { dryRun: "true" }, headers: { "Idempotency-Key": "order-42" } }));
    expect(r.statusCode).toBe(200);
    expect(r.json.DryRun).toBe(true);
    const req = r.json.Request as { ClientToken: string; Job: { Priority: number; Tags: Array<{ Key: string }>; Tasks: Array<{ Authentications: Json[] }> } };
    expect(req.ClientToken).toMatch(/^bscf-[0-9a-f]{59}$/);
    expect(req.Job.Priority).toBe(1);
    expect(req.Job.Tags.map((t) => t.Key)).toEqual(["submitter", "batch-scf/idempotency-key", "batch-scf/request-hash"]);
    expect(req.Job.Tasks[0]!.Authentications[0]!.SecretKey).toBe("******");
    expect(r.body).not.toContain("very-secret");
    expect(fake.calls).toEqual([]);
  });

  it("a bare ?dryRun also means a dry run", async () => {
    const { handler, fake } = setup();
    const r = await call(handler, apigw({ body: DOCUMENTED_EXAMPLE, query: { dryRun: true } }));
    expect(r.statusCode).toBe(200);
    expect(fake.jobs.size).toBe(0);
  });
});

describe("idempotency", () => {
  it("a retried request with the same Idempotency-Key returns the same JobId and creates one job", async () => {
    const { handler, fake } = setup();
    const a = await call(handler, apigw({ body: DOCUMENTED_EXAMPLE, headers: { "Idempotency-Key": "order-42" } }));
    const b = await call(handler, apigw({ body: DOCUMENTED_EXAMPLE, headers: { "Idempotency-Key": "order-42" } }));
    expect(a.statusCode).toBe(201);
    expect(b.statusCode).toBe(201);
    expect(b.json.JobId).toBe(a.json.JobId);
    expect(b.json.Replayed).toBe(true);
    expect(b.headers["idempotent-replayed"]).toBe("true");
    expect(fake.jobs.size).toBe(1);
  });

  it("field order does not matter for a retry", async () => {
    const { handler, fake } = setup();
    const reordered = { Job: DOCUMENTED_EXAMPLE.Job, Placement: DOCUMENTED_EXAMPLE.Placement };
    const a = await call(handler, apigw({ body: DOCUMENTED_EXAMPLE, headers: { "Idempotency-Key": "k1" } }));
    const b = await call(handler, apigw({ body: reordered, headers: { "Idempotency-Key": "k1" } }));
    expect(b.json.JobId).toBe(a.json.JobId);
    expect(fake.jobs.size).toBe(1);
  });

  it("the same key with a different body is 409 idempotency_key_reused", async () => {
    const { handler, fake } = setup();
    const a = await call(handler, apigw({ body: DOCUMENTED_EXAMPLE, headers: { "Idempotency-Key": "order-42" } }));
    const changed = clone(DOCUMENTED_EXAMPLE);
    changed.Job.JobName = "OtherJob";
    const b = await call(handler, apigw({ body: changed, headers: { "Idempotency-Key": "order-42" } }));
    expect(b.statusCode).toBe(409);
    expect(b.json.code).toBe("idempotency_key_reused");
    expect(b.json.jobId).toBe(a.json.JobId);
    expect(fake.jobs.size).toBe(1);
  });

  it("is 409 even when only Batch remembers the token (our tags gone)", async () => {
    const { handler, fake } = setup();
    const a = await call(handler, apigw({ body: DOCUMENTED_EXAMPLE, headers: { "Idempotency-Key": "order-42" } }));
    fake.forgetTags(a.json.JobId as string);
    const changed = clone(DOCUMENTED_EXAMPLE);
    changed.Job.JobName = "OtherJob";
    const b = await call(handler, apigw({ body: changed, headers: { "Idempotency-Key": "order-42" } }));
    expect(b.statusCode).toBe(409);
    expect(b.json).toMatchObject({ code: "idempotency_key_reused", tencentCode: "InvalidParameter" });
  });

  it("keys are per submitter: two callers using the same key get two jobs", async () => {
    const { handler, fake } = setup();
    const a = await call(handler, apigw({ body: DOCUMENTED_EXAMPLE, headers: { "Idempotency-Key": "k" } }));
    const b = await call(handler, apigw({ body: DOCUMENTED_EXAMPLE, key: OTHER, headers: { "Idempotency-Key": "k" } }));
    expect(b.json.JobId).not.toBe(a.json.JobId);
    expect(fake.jobs.size).toBe(2);
  });

  it("a body ClientToken works like the header; both differing is 400", async () => {
    const { handler, fake } = setup();
    const body = { ...clone(DOCUMENTED_EXAMPLE), ClientToken: "tok-1" };
    const a = await call(handler, apigw({ body }));
    const b = await call(handler, apigw({ body }));
    expect(b.json.JobId).toBe(a.json.JobId);
    expect(fake.jobs.size).toBe(1);
    const c = await call(handler, apigw({ body, headers: { "Idempotency-Key": "tok-2" } }));
    expect(c.statusCode).toBe(400);
    expect(c.json.errors).toEqual([{ path: "ClientToken", message: expect.stringContaining("Idempotency-Key") }]);
  });
});

describe("validation: each rule fails with 400 and the field path", () => {
  const T = "Job.Tasks[0]";
  type Mutate = (b: { Placement: Json; Job: Json & { Tasks: Array<Json & { Application: Json; ComputeEnv: Json & { EnvData: Json }; RedirectInfo: Json }> } }) => void;
  const cases: Array<[string, Mutate, string, RegExp]> = [
    ["COS JSON-API domain", (b) => { b.Job.Tasks[0]!.RedirectInfo.StdoutRedirectPath = "cos://bucket-1250000000.cosgz.myqcloud.com/logs/"; }, `${T}.RedirectInfo.StdoutRedirectPath`, /XML-API domain/],
    ["COS without cos://", (b) => { b.Job.Tasks[0]!.RedirectInfo.StdoutRedirectPath = "bucket-1250000000.cos.ap-guangzhou.myqcloud.com/logs/"; }, `${T}.RedirectInfo.StdoutRedirectPath`, /start with cos:\/\//],
    ["COS without trailing /", (b) => { b.Job.Tasks[0]!.RedirectInfo.StderrRedirectPath = "cos://bucket-1250000000.cos.ap-guangzhou.myqcloud.com/logs"; }, `${T}.RedirectInfo.StderrRedirectPath`, /end with \//],
    ["COS bucket in another region", (b) => { b.Job.Tasks[0]!.RedirectInfo.StdoutRedirectPath = "cos://bucket-1250000000.cos.ap-shanghai.myqcloud.com/logs/"; }, `${T}.RedirectInfo.StdoutRedirectPath`, /region ap-shanghai must equal the job's region ap-guangzhou/],
    ["CFS without trailing /", (b) => { b.Job.Tasks[0]!.InputMappings = [{ SourcePath: "cfs://10.66.140.208/data", DestinationPath: "/data/" }]; }, `${T}.InputMappings[0].SourcePath`, /end with \//],
    ["NAS with another scheme", (b) => { b.Job.Tasks[0]!.OutputMappings = [{ SourcePath: "/out/", DestinationPath: "smb://10.0.0.1/out/" }]; }, `${T}.OutputMappings[0].DestinationPath`, /cos:\/\/, cfs:\/\/ or nfs:\/\//],
    ["local path not absolute", (b) => { b.Job.Tasks[0]!.InputMappings = [{ SourcePath: "nfs://10.0.0.1/in/", DestinationPath: "data/" }]; }, `${T}.InputMappings[0].DestinationPath`, /absolute local path/],
    ["EnvId and ComputeEnv", (b) => { b.Job.Tasks[0]!.EnvId = "env-ptoxdb1t"; }, T, /exactly one of EnvId/],
    ["neither EnvId nor ComputeEnv", (b) => { delete (b.Job.Tasks[0] as Json).ComputeEnv; }, T, /exactly one of EnvId/],
    ["malformed EnvId", (b) => { delete (b.Job.Tasks[0] as Json).ComputeEnv; b.Job.Tasks[0]!.EnvId = "env-1"; }, `${T}.EnvId`, /env-xxxxxxxx/],
    ["Command and Commands", (b) => { b.Job.Tasks[0]!.Application.Commands = [{ Command: "echo" }]; }, `${T}.Application`, /exactly one of Command .*and Commands/],
    ["neither Command nor Commands", (b) => { delete b.Job.Tasks[0]!.Application.Command; }, `${T}.Application`, /exactly one of Command .*and Commands/],
    ["unknown instance type", (b) => { b.Job.Tasks[0]!.ComputeEnv.EnvData.InstanceType = "S9.HUGE"; }, `${T}.ComputeEnv.EnvData.InstanceType`, /unknown instance type S9.HUGE/],
    ["BS1 outside its zones", (b) => { b.Placement.Zone = "ap-guangzhou-3"; b.Job.Tasks[0]!.ComputeEnv.EnvData.InstanceType = "BS1.LARGE8"; }, `${T}.ComputeEnv.EnvData.InstanceType`, /sold only in ap-guangzhou-2 and ap-shanghai-1/],
    ["malformed image id", (b) => { b.Job.Tasks[0]!.ComputeEnv.EnvData.ImageId = "ubuntu-22"; }, `${T}.ComputeEnv.EnvData.ImageId`, /img-xxxxxxxx/],
    ["unknown event name", (b) => { b.Job.Notifications = [{ TopicName: "t1", EventConfigs: [{ EventName: "JOB_EXPLODED" }] }]; }, "Job.Notifications[0].EventConfigs[0].EventName", /not a job event/],
    ["env event on a job", (b) => { b.Job.Notifications = [{ TopicName: "t1", EventConfigs: [{ EventName: "COMPUTE_ENV_CREATED" }] }]; }, "Job.Notifications[0].EventConfigs[0].EventName", /not a job event/],
    ["event twice", (b) => { b.Job.Notifications = [{ TopicName: "t1", EventConfigs: [{ EventName: "JobFailed" }, { EventName: "JOB_FAILED" }] }]; }, "Job.Notifications[0].EventConfigs[1].EventName", /twice/],
    ["JobName over 60", (b) => { b.Job.JobName = "j".repeat(61); }, "Job.JobName", /at most 60/],
    ["JobDescription over 200", (b) => { b.Job.JobDescription = "d".repeat(201); }, "Job.JobDescription", /at most 200/],
    ["TaskName over 60", (b) => { b.Job.Tasks[0]!.TaskName = "t".repeat(61); }, `${T}.TaskName`, /at most 60/],
    ["more than 9 own tags", (b) => { b.Job.Tags = Array.from({ length: 10 }, (_, i) => ({ Key: `k${i}`, Value: "v" })); }, "Job.Tags", /at most 9 tags of your own/],
    ["reserved tag submitter", (b) => { b.Job.Tags = [{ Key: "submitter", Value: "someone-else" }]; }, "Job.Tags[0].Key", /reserved/],
    ["reserved tag prefix", (b) => { b.Job.Tags = [{ Key: "batch-scf/request-hash", Value: "x" }]; }, "Job.Tags[0].Key", /reserved/],
    ["Priority over 100", (b) => { b.Job.Priority = 101; }, "Job.Priority", /at most 100/],
    ["Priority below 0", (b) => { b.Job.Priority = "-1"; }, "Job.Priority", /at least 0/],
    ["Priority not a number", (b) => { b.Job.Priority = "high"; }, "Job.Priority", /integer/],
    ["TaskInstanceNum 0", (b) => { b.Job.Tasks[0]!.TaskInstanceNum = 0; }, `${T}.TaskInstanceNum`, /at least 1/],
    ["no tasks", (b) => { b.Job.Tasks = []; }, "Job.Tasks", /at least one task/],
    ["dependence on a missing task", (b) => { b.Job.Dependences = [{ StartTask: "Task1", EndTask: "Task9" }]; }, "Job.Dependences[0].EndTask", /no task named Task9/],
    [
      "cyclic DAG",
      (b) => {
        const t2 = { ...structuredClone(b.Job.Tasks[0]!), TaskName: "Task2" };
        b.Job.Tasks.push(t2);
        b.Job.Dependences = [{ StartTask: "Task1", EndTask: "Task2" }, { StartTask: "Task2", EndTask: "Task1" }];
      },
      "Job.Dependences",
      /cycle: Task1 → Task2 → Task1/,
    ],
    ["duplicate task names", (b) => { b.Job.Tasks.push(structuredClone(b.Job.Tasks[0]!)); }, "Job.Tasks[1].TaskName", /already used/],
    ["zone outside the region", (b) => { b.Placement.Zone = "ap-beijing-1"; }, "Placement.Zone", /not in this API's region ap-guangzhou/],
    ["misspelt field", (b) => { b.Job.Tasks[0]!.Application.Comand = "echo"; }, `${T}.Application.Comand`, /unknown field/],
    ["PACKAGE without PackagePath", (b) => { b.Job.Tasks[0]!.Application.DeliveryForm = "PACKAGE"; }, `${T}.Application.PackagePath`, /required when DeliveryForm is PACKAGE/],
    ["PackagePath on the COS JSON-API domain", (b) => { b.Job.Tasks[0]!.Application.PackagePath = "cos://b-1250000000.cossh.myqcloud.com/pkg.tgz"; }, `${T}.Application.PackagePath`, /XML-API domain/],
    ["PackagePath in another region's bucket", (b) => { b.Job.Tasks[0]!.Application.PackagePath = "cos://b-1250000000.cos.ap-shanghai.myqcloud.com/pkg.tgz"; }, `${T}.Application.PackagePath`, /must equal the job's region/],
  ];

  it.each(cases)("%s", async (_, mutate, path, message) => {
    const { handler, fake } = setup();
    const body = clone(DOCUMENTED_EXAMPLE) as unknown as Parameters<Mutate>[0];
    mutate(body);
    const r = await call(handler, apigw({ body }));
    expect(r.statusCode).toBe(400);
    expect(r.headers["content-type"]).toBe("application/problem+json");
    expect(r.json.code).toBe("validation_failed");
    expect(r.json.errors).toContainEqual({ path, message: expect.stringMatching(message) });
    expect(fake.jobs.size).toBe(0);
  });

  it("reports every broken rule at once", async () => {
    const { handler } = setup();
    const body = clone(DOCUMENTED_EXAMPLE) as unknown as Parameters<Mutate>[0];
    body.Placement.Zone = "ap-guangzhou-3";
    body.Job.Tasks[0]!.ComputeEnv.EnvData.InstanceType = "BS1.LARGE8";
    body.Job.Tasks[0]!.RedirectInfo.StdoutRedirectPath = "cos://bucket-1250000000.cos.ap-guangzhou.myqcloud.com/logs";
    const r = await call(handler, apigw({ body }));
    expect((r.json.errors as Json[]).map((e) => e.path)).toEqual([`${T}.ComputeEnv.EnvData.InstanceType`, `${T}.RedirectInfo.StdoutRedirectPath`]);
  });

  it("answers the user guide's example as printed (empty ImageId, the cosgz JSON-API domain in both redirect paths) with one 400 naming all three", async () => {
    const { handler, fake } = setup();
    const body = clone(DOCUMENTED_EXAMPLE) as unknown as Parameters<Mutate>[0];
    const task = body.Job.Tasks[0]!;
    task.ComputeEnv.EnvData.ImageId = "";
    task.RedirectInfo.StdoutRedirectPath = "cos://bucket-1250000000.cosgz.myqcloud.com/logs/";
    task.RedirectInfo.StderrRedirectPath = "cos://bucket-1250000000.cosgz.myqcloud.com/logs/";
    const r = await call(handler, apigw({ body }));
    expect(r.statusCode).toBe(400);
    expect(r.json.errors).toEqual([
      { path: `${T}.ComputeEnv.EnvData.ImageId`, message: expect.stringMatching(/img-xxxxxxxx.*img-31tjrtph \(CentOS 7\.2.*img-er9shcln \(Windows Server 2012 R2.*img-pyqx34y1 \(Ubuntu Server 16\.04/) },
      { path: `${T}.RedirectInfo.StdoutRedirectPath`, message: expect.stringMatching(/XML-API domain/) },
      { path: `${T}.RedirectInfo.StderrRedirectPath`, message: expect.stringMatching(/XML-API domain/) },
    ]);
    expect(fake.calls).toEqual([]);
  });

  it("reports a bad Idempotency-Key together with the body's problems", async () => {
    const { handler } = setup();
    const body = clone(DOCUMENTED_EXAMPLE) as unknown as Parameters<Mutate>[0];
    body.Job.JobName = "j".repeat(61);
    const r = await call(handler, apigw({ body, headers: { "Idempotency-Key": "k".repeat(256) } }));
    expect((r.json.errors as Json[]).map((e) => e.path)).toEqual(["Job.JobName", "headers.idempotency-key"]);
  });

  it("an empty Idempotency-Key header is refused, not ignored", async () => {
    const { handler, fake } = setup();
    for (const key of ["", "   "]) {
      const r = await call(handler, apigw({ body: DOCUMENTED_EXAMPLE, headers: { "Idempotency-Key": key } }));
      expect(r.statusCode).toBe(400);
      expect(r.json.errors).toEqual([{ path: "headers.idempotency-key", message: expect.stringMatching(/^is empty/) }]);
    }
    expect(fake.jobs.size).toBe(0);
  });

  it("refuses __proto__ (and constructor, prototype) members instead of letting them smuggle fields past the strict shape", async () => {
    const { handler, fake } = setup();
    const text = JSON.stringify(DOCUMENTED_EXAMPLE).replace('"Job":{', '"Job":{"__proto__":{"Priority":77,"JobDescription":"smuggled"},');
    const r = await call(handler, apigw({ body: text, query: { dryRun: "true" } }));
    expect(r.statusCode).toBe(400);
    expect(r.json.errors).toEqual([{ path: "Job.__proto__", message: "__proto__ is not accepted as a member name" }]);
    const nested = JSON.stringify(DOCUMENTED_EXAMPLE).replace('"Application":{', '"Application":{"constructor":{"prototype":{}},');
    const n = await call(handler, apigw({ body: nested }));
    expect(n.statusCode).toBe(400);
    expect((n.json.errors as Json[]).map((e) => e.path)).toEqual(["Job.Tasks[0].Application.constructor"]);
    expect(fake.jobs.size).toBe(0);
  });

  it("null fields count as absent (SDK objects serialise unset fields as null)", async () => {
    const { handler } = setup();
    const body = clone(DOCUMENTED_EXAMPLE) as unknown as Parameters<Mutate>[0];
    body.Job.Tasks[0]!.EnvId = null;
    body.Job.Dependences = null;
    expect((await call(handler, apigw({ body }))).statusCode).toBe(201);
  });

  it("malformed JSON is 400 malformed_json; an empty body names the body", async () => {
    const { handler } = setup();
    expect((await call(handler, apigw({ body: "{not json" }))).json.code).toBe("malformed_json");
    const empty = await call(handler, apigw({ body: "" }));
    expect(empty.statusCode).toBe(400);
    expect(empty.json.errors).toEqual([{ path: "", message: "a JSON body is required" }]);
  });
});

/** Submits the documented example and sets the fake job's state. */
async function submitted(s: ReturnType<typeof setup>, state: string) {
  const r = await call(s.handler, apigw({ body: DOCUMENTED_EXAMPLE }));
  const id = r.json.JobId as string;
  s.fake.jobs.get(id)!.state = state;
  return id;
}

describe("GET /jobs/{JobId}", () => {
  it("shows state, submitter, and per-task per-instance states", async () => {
    const s = setup();
    const body = clone(DOCUMENTED_EXAMPLE) as Json & { Job: { Tasks: Json[] } };
    body.Job.Tasks[0]!.TaskInstanceNum = 2;
    const id = (await call(s.handler, apigw({ body }))).json.JobId as string;
    const job = s.fake.jobs.get(id)!;
    job.state = "RUNNING";
    job.instances.Task1![1]!.state = "RUNNING";
    const r = await call(s.handler, apigw({ method: "GET", path: `/jobs/${id}`, key: READER }));
    expect(r.statusCode).toBe(200);
    expect(r.json).toMatchObject({ JobId: id, JobState: "RUNNING", Submitter: "app", JobName: "TestJob" });
    const tasks = r.json.Tasks as Array<{ TaskName: string; Instances: Json[] }>;
    expect(tasks[0]!.TaskName).toBe("Task1");
    expect(tasks[0]!.Instances.map((i) => i.TaskInstanceState)).toEqual(["PENDING", "RUNNING"]);
  });

  it("?instances=false skips DescribeTask", async () => {
    const s = setup();
    const id = await submitted(s, "RUNNING");
    const before = s.fake.calls.length;
    const r = await call(s.handler, apigw({ method: "GET", path: `/jobs/${id}`, query: { instances: "false" } }));
    expect(r.statusCode).toBe(200);
    expect(s.fake.calls.slice(before).map((c) => c.action)).toEqual(["DescribeJob"]);
  });

  it("400 for a malformed JobId; 404 keeping Tencent's Code for an unknown one", async () => {
    const s = setup();
    const bad = await call(s.handler, apigw({ method: "GET", path: "/jobs/nope" }));
    expect(bad.statusCode).toBe(400);
    expect(bad.json.errors).toEqual([{ path: "JobId", message: "a job id looks like job-xxxxxxxx" }]);
    const missing = await call(s.handler, apigw({ method: "GET", path: "/jobs/job-zzzzzzzz" }));
    expect(missing.statusCode).toBe(404);
    expect(missing.json).toMatchObject({ tencentCode: "ResourceNotFound.Job", tencentRequestId: "req-ResourceNotFound.Job" });
  });

  it("works behind a stage prefix (captured event shape)", async () => {
    const s = setup();
    const id = await submitted(s, "RUNNING");
    const e = clone(apigwCaptured) as Json & { headers: Record<string, string> };
    e.path = `/release/jobs/${id}`;
    e.queryString = {};
    e.headers.authorization = `Bearer ${READER}`;
    expect((await call(s.handler, e)).json.JobId).toBe(id);
  });
});

describe("GET /jobs", () => {
  it("filters by state, submitter and tag, and pages", async () => {
    const s = setup();
    const a = await submitted(s, "RUNNING");
    await submitted(s, "SUCCEED");
    const tagged = clone(DOCUMENTED_EXAMPLE) as Json & { Job: Json };
    tagged.Job.Tags = [{ Key: "team", Value: "render" }];
    const c = (await call(s.handler, apigw({ body: tagged, key: OTHER }))).json.JobId as string;
    s.fake.jobs.get(c)!.state = "RUNNING";

    const running = await call(s.handler, apigw({ method: "GET", path: "/jobs", key: READER, query: { state: "RUNNING" } }));
    expect((running.json.Jobs as Json[]).map((j) => j.JobId).sort()).toEqual([a, c].sort());
    const mine = await call(s.handler, apigw({ method: "GET", path: "/jobs", query: { submitter: "other" } }));
    expect((mine.json.Jobs as Json[]).map((j) => j.JobId)).toEqual([c]);
    expect((mine.json.Jobs as Json[])[0]?.Submitter).toBe("other");
    const team = await call(s.handler, apigw({ method: "GET", path: "/jobs", query: { tag: "team=render" } }));
    expect((team.json.Jobs as Json[]).map((j) => j.JobId)).toEqual([c]);
    const page = await call(s.handler, apigw({ method: "GET", path: "/jobs", query: { limit: "2" } }));
    expect(page.json).toMatchObject({ TotalCount: 3, Offset: 0, Limit: 2, NextOffset: 2 });
    const last = await call(s.handler, apigw({ method: "GET", path: "/jobs", query: { limit: "2", offset: "2" } }));
    expect(last.json).toMatchObject({ NextOffset: null });
    expect(last.json.Jobs as Json[]).toHaveLength(1);
  });

  it("400 for an unknown state or a limit over 100", async () => {
    const s = setup();
    const r = await call(s.handler, apigw({ method: "GET", path: "/jobs", query: { state: "DONE" } }));
    expect(r.statusCode).toBe(400);
    expect((r.json.errors as Json[])[0]).toMatchObject({ path: "query.state" });
    const l = await call(s.handler, apigw({ method: "GET", path: "/jobs", query: { limit: "500" } }));
    expect((l.json.errors as Json[])[0]).toMatchObject({ path: "query.limit" });
  });
});

describe("terminate, delete, retry: preconditions as 409s", () => {
  const act = (s: ReturnType<typeof setup>, id: string, what: "terminate" | "retry" | "delete") =>
    call(s.handler, apigw(what === "delete" ? { method: "DELETE", path: `/jobs/${id}` } : { method: "POST", path: `/jobs/${id}/${what}` }));

  it.each([
    ["terminate", "SUBMITTED", 409, "job_not_started"],
    ["terminate", "SUCCEED", 409, "job_already_finished"],
    ["terminate", "RUNNING", 202, undefined],
    ["terminate", "FAILED_INTERRUPTED", 202, undefined],
    ["delete", "RUNNING", 409, "job_not_finished"],
    ["delete", "FAILED_INTERRUPTED", 409, "job_not_finished"],
    ["delete", "SUCCEED", 200, undefined],
    ["retry", "SUCCEED", 409, "job_not_failed"],
    ["retry", "FAILED", 202, undefined],
  ] as const)("%s a %s job → %i", async (what, state, status, code) => {
    const s = setup();
    const id = await submitted(s, state);
    const r = await act(s, id, what);
    expect(r.statusCode).toBe(status);
    if (code) {
      expect(r.json).toMatchObject({ code, jobState: state });
      expect(s.fake.calls.map((c) => c.action)).not.toContain(what === "delete" ? "DeleteJob" : what === "retry" ? "RetryJobs" : "TerminateJob");
    } else {
      expect(r.json).toMatchObject({ JobId: id, Action: what, PreviousState: state });
    }
  });

  it("a job deleted is gone", async () => {
    const s = setup();
    const id = await submitted(s, "FAILED");
    expect((await act(s, id, "delete")).statusCode).toBe(200);
    expect((await call(s.handler, apigw({ method: "GET", path: `/jobs/${id}` }))).statusCode).toBe(404);
  });

  it("Batch's own refusal (a race after our check) is a 409 keeping its Code", async () => {
    const s = setup();
    const id = await submitted(s, "SUCCEED");
    s.fake.failNextWith(batchError("DeleteJob", { code: "ResourceInUse.Job", message: "instances still running", requestId: "tc-9" }), "DeleteJob");
    const r = await act(s, id, "delete");
    expect(r.statusCode).toBe(409);
    expect(r.json).toMatchObject({ tencentCode: "ResourceInUse.Job", tencentRequestId: "tc-9" });
  });

  it("the read-only key cannot terminate: 403", async () => {
    const s = setup();
    const id = await submitted(s, "RUNNING");
    const r = await call(s.handler, apigw({ method: "POST", path: `/jobs/${id}/terminate`, key: READER }));
    expect(r.statusCode).toBe(403);
  });
});

describe("GET /jobs/{JobId}/logs", () => {
  it("returns the decoded tail and where the full log lives (placeholders expanded)", async () => {
    const s = setup();
    const body = clone(DOCUMENTED_EXAMPLE) as Json & { Job: { Tasks: Array<Json & { RedirectInfo: Json }> } };
    body.Job.Tasks[0]!.RedirectInfo.StdoutRedirectFileName = ["$", "{BATCH_JOB_ID}-$", "{BATCH_TASK_INSTANCE_INDEX}.out"].join("");
    const id = (await call(s.handler, apigw({ body }))).json.JobId as string;
    s.fake.jobs.get(id)!.instances.Task1![0]!.stdout = "6765\n";
    const r = await call(s.handler, apigw({ method: "GET", path: `/jobs/${id}/logs`, key: READER }));
    expect(r.statusCode).toBe(200);
    const inst = (r.json.Instances as Json[])[0];
    expect(inst).toMatchObject({
      TaskInstanceIndex: 0,
      Stdout: "6765\n",
      Truncated: false,
      FullLog: {
        Stdout: `cos://bucket-1250000000.cos.ap-guangzhou.myqcloud.com/logs/${id}-0.out`,
        Stderr: "cos://bucket-1250000000.cos.ap-guangzhou.myqcloud.com/logs/",
      },
    });
  });

  it("needs ?task= when the job has several tasks, naming them", async () => {
    const s = setup();
    const body = clone(DOCUMENTED_EXAMPLE) as Json & { Job: { Tasks: Json[] } };
    body.Job.Tasks.push({ ...clone(body.Job.Tasks[0]!), TaskName: "Task2" });
    const id = (await call(s.handler, apigw({ body }))).json.JobId as string;
    const r = await call(s.handler, apigw({ method: "GET", path: `/jobs/${id}/logs` }));
    expect(r.statusCode).toBe(400);
    expect(r.json.errors).toEqual([{ path: "query.task", message: expect.stringContaining("Task1, Task2") }]);
    const ok = await call(s.handler, apigw({ method: "GET", path: `/jobs/${id}/logs`, query: { task: "Task2", index: "0" } }));
    expect(ok.statusCode).toBe(200);
    expect(ok.json.TaskName).toBe("Task2");
  });
});

describe("Batch failures", () => {
  it("throttling that outlived the client's retries is 429 with Retry-After and Tencent's Code", async () => {
    const s = setup();
    s.fake.failNextWith(batchError("DescribeJobs", { code: "RequestLimitExceeded", message: "slow down", requestId: "tc-1" }));
    const r = await call(s.handler, apigw({ method: "GET", path: "/jobs" }));
    expect(r.statusCode).toBe(429);
    expect(r.headers["retry-after"]).toBe("1");
    expect(r.json).toMatchObject({ tencentCode: "RequestLimitExceeded", tencentRequestId: "tc-1" });
  });

  it("an internal error is 503 with Retry-After", async () => {
    const s = setup();
    s.fake.failNextWith(batchError("DescribeJobs", { code: "InternalError", message: "boom", requestId: "tc-2" }));
    const r = await call(s.handler, apigw({ method: "GET", path: "/jobs" }));
    expect(r.statusCode).toBe(503);
    expect(r.headers["retry-after"]).toBe("1");
  });

  it("an unexpected error is a generic 500; the detail stays in the log", async () => {
    const s = setup();
    s.fake.failNextWith(new TypeError("Cannot read properties of undefined (reading 'Error')"));
    const r = await call(s.handler, apigw({ method: "GET", path: "/jobs" }));
    expect(r.statusCode).toBe(500);
    expect(r.body).not.toContain("Cannot read");
    expect(JSON.stringify(s.logger.lines)).toContain("Cannot read");
  });
});

describe("GET /openapi.json and the access log", () => {
  it("documents every endpoint from the zod schemas", async () => {
    const s = setup();
    const r = await call(s.handler, apigw({ method: "GET", path: "/openapi.json", key: READER }));
    const doc = r.json as { paths: Record<string, Record<string, Json>> };
    expect(Object.fromEntries(Object.entries(doc.paths).map(([p, ops]) => [p, Object.keys(ops).sort()]))).toEqual({
      "/jobs": ["get", "post"],
      "/jobs/{JobId}": ["delete", "get"],
      "/jobs/{JobId}/terminate": ["post"],
      "/jobs/{JobId}/retry": ["post"],
      "/jobs/{JobId}/instances": ["get"],
      "/jobs/{JobId}/logs": ["get"],
      "/webhooks/secret": ["get"],
      "/openapi.json": ["get"],
    });
    const post = doc.paths["/jobs"]!.post as { requestBody: { content: Record<string, { schema: Json }> } };
    const schema = post.requestBody.content["application/json"]!.schema as { required: string[]; properties: { Job: { properties: { Priority: Json } } } };
    expect(schema.required).toEqual(["Placement", "Job"]);
    expect(schema.properties.Job.properties.Priority).toEqual({ anyOf: [{ type: "number" }, { type: "string", pattern: "^\\s*-?\\d+\\s*$" }] });
  });

  it("logs one access line per request, never the key or the body's secrets", async () => {
    const s = setup();
    const body = clone(DOCUMENTED_EXAMPLE) as Json & { Job: { Tasks: Json[] } };
    body.Job.Tasks[0]!.Authentications = [{ Scene: "COS", SecretId: "AKIDxxx", SecretKey: "very-secret" }];
    await call(s.handler, apigw({ body }));
    const access = s.logger.lines.filter((l) => l.msg === "request");
    expect(access).toEqual([expect.objectContaining({ method: "POST", path: "/jobs", status: 201, principal: "app" })]);
    const all = JSON.stringify(s.logger.lines);
    expect(all).not.toContain(WRITER);
    expect(all).not.toContain("very-secret");
  });
});

describe("answers and the OpenAPI document", () => {
  // Last in this file: every success answer above went through answers.check.
  it("every success answer above parsed with its route's response schema, and a drifted one would not", async () => {
    expect(answers.checked).toBeGreaterThan(20);
    const { handler } = setup();
    const event = apigw({ body: DOCUMENTED_EXAMPLE });
    const res = await handler(event);
    const drifted = { ...res, body: JSON.stringify({ ...JSON.parse(res.body), JobId: 42 }) };
    expect(() => answers.check(event, drifted)).toThrow(/POST \/jobs answered 201 outside its response schema: .*JobId/);
  });
});
