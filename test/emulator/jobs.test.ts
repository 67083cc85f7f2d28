// Contract tests of the emulator's jobs, driven only through the real SDK client, the project's
// Batch port and the /_emulator routes.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client as BatchClient } from "tencentcloud-sdk-nodejs/tencentcloud/services/batch/v20170312/batch_client";
import type { SubmitJobRequest, Task } from "tencentcloud-sdk-nodejs/tencentcloud/services/batch/v20170312/batch_models";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestEmulator, TEST_SECRET_ID, TEST_SECRET_KEY, type TestEmulator } from "../support/emulator";

const COS = "cos://bucket-1250000000.cos.ap-guangzhou.myqcloud.com/logs/";

/** The documented SubmitJob example (batch-facts §2), verbatim (its image id is well-formed). */
const DOCUMENTED = JSON.parse(readFileSync(new URL("../fixtures/submit-job-documented.json", import.meta.url), "utf8")) as unknown;

type Req = SubmitJobRequest & { Job: { Tasks: Task[] } };
/** A fresh copy of the documented request (Priority as the guide sends it, a string). */
const documented = (): Req => structuredClone(DOCUMENTED) as unknown as Req;

/** A job of one task per command, on anonymous S1.SMALL1 nodes, no redirection. */
function jobOf(tasks: Record<string, string | Partial<Task>>, job: Partial<SubmitJobRequest["Job"]> = {}): Req {
  const req = documented();
  const base = req.Job.Tasks[0]!;
  delete base.RedirectInfo;
  req.Job = {
    ...req.Job,
    ...job,
    Tasks: Object.entries(tasks).map(([name, t]) => {
      const extra = typeof t === "string" ? local(t) : t;
      return { ...structuredClone(base), TaskName: name, ...extra };
    }),
  };
  return req;
}

/** A LOCAL task running `command`, with other fields. */
const local = (command: string, extra: Partial<Task> = {}): Partial<Task> => ({ Application: { DeliveryForm: "LOCAL", Command: command }, ...extra });

/** Dependences written `"A>B"` (B runs after A). */
const deps = (...edges: string[]) => edges.map((e) => ({ StartTask: e.split(">")[0]!, EndTask: e.split(">")[1]! }));

/** Notifications to batch-events for these events (no EventVars). */
const eventConfigs = (...names: string[]) => names.map((EventName) => ({ EventName, EventVars: [] as Array<{ Name: string; Value: string }> }));
const notify = (...names: string[]) => [{ TopicName: "batch-events", EventConfigs: eventConfigs(...names) }];

/** The request's tasks moved from their anonymous env to the named env `envId`. */
function onEnvId<R extends Req>(r: R, envId: string): R {
  for (const task of r.Job.Tasks) {
    delete task.ComputeEnv;
    task.EnvId = envId;
  }
  return r;
}

/** An SDK client of the emulator at `endpoint` (host:port). */
const clientAt = (endpoint: string, region = "ap-guangzhou") =>
  new BatchClient({ credential: { secretId: TEST_SECRET_ID, secretKey: TEST_SECRET_KEY }, region, profile: { httpProfile: { endpoint, protocol: "http://" } } });

interface SdkError {
  code: string;
  message: string;
}
const failure = (p: Promise<unknown>): Promise<SdkError> =>
  p.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (e: SdkError) => e,
  );
const errCode = async (p: Promise<unknown>) => (await failure(p)).code;

/** Runs `fn` against an emulator of its own, stopped afterwards. */
async function withEmulator(opts: Parameters<typeof startTestEmulator>[0], fn: (em: TestEmulator) => Promise<void>): Promise<void> {
  const em = await startTestEmulator(opts);
  try {
    await fn(em);
  } finally {
    await em.stop();
  }
}

let t: TestEmulator;
beforeAll(async () => {
  t = await startTestEmulator();
});
afterAll(() => t.stop());

async function submit(req: Req, em: TestEmulator = t): Promise<string> {
  const r = await em.sdk.SubmitJob(req);
  expect(r.JobId).toMatch(/^job-[a-z0-9]{8}$/);
  return r.JobId!;
}

/** The job once its state is among `states`. */
async function inState(jobId: string, states: string | string[], em: TestEmulator = t) {
  return eventually(async () => {
    const d = await em.sdk.DescribeJob({ JobId: jobId });
    return [states].flat().includes(d.JobState ?? "") ? d : undefined;
  });
}
const finished = (jobId: string, em: TestEmulator = t) => inState(jobId, ["SUCCEED", "FAILED", "FAILED_INTERRUPTED"], em);

const instance = async (jobId: string, taskName: string, index = 0, em: TestEmulator = t) => {
  const d = await em.sdk.DescribeTask({ JobId: jobId, TaskName: taskName });
  return d.TaskInstanceSet!.find((i) => i.TaskInstanceIndex === index)!;
};

const stdout = async (jobId: string, taskName: string, index = 0, em: TestEmulator = t) => {
  const l = await em.sdk.DescribeTaskLogs({ JobId: jobId, TaskName: taskName, TaskInstanceIndexes: [index] });
  return Buffer.from(l.TaskInstanceLogSet![0]!.StdoutLog ?? "", "base64").toString("utf8");
};

const emulatorGet = async (path: string, em: TestEmulator = t) => (await fetch(`${em.emu.url}/_emulator${path}`)).json() as Promise<Record<string, unknown>>;

describe("the documented SubmitJob example", () => {
  it("runs end to end and lands its output in the local COS folder", async () => {
    const id = await submit(documented());
    const job = await finished(id);
    expect(job.JobState).toBe("SUCCEED");
    expect(job.Priority).toBe(1);
    expect(job.TaskSet).toEqual([expect.objectContaining({ TaskName: "Task1", TaskState: "SUCCEED" })]);
    expect(job.TaskMetrics?.SucceedCount).toBe(1);
    expect(job.TaskInstanceMetrics?.SucceedCount).toBe(1);
    expect(job.EndTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const file = join(t.dataDir, "cos", "bucket-1250000000", "logs", id, "Task1", "0", "stdout.log");
    expect(readFileSync(file, "utf8")).toBe("6765\n");
    expect(await stdout(id, "Task1")).toBe("6765\n");

    const logs = await t.port.getTaskLogs(id, "Task1", {});
    expect(logs.items[0]).toMatchObject({
      StdoutRedirectPath: COS,
      StderrRedirectPath: COS,
      StdoutRedirectFileName: `${id}/Task1/0/stdout.log`,
      StderrRedirectFileName: `${id}/Task1/0/stderr.log`,
    });
    const inst = await instance(id, "Task1");
    expect(inst).toMatchObject({ TaskInstanceState: "SUCCEED", ExitCode: 0 });
    expect(inst.ComputeNodeInstanceId).toMatch(/^ins-/);
    expect(inst.RunningTime).toBeTruthy();
  });

  it("answers DescribeJobSubmitInfo with the job as submitted (Priority as a number)", async () => {
    const id = await submit(documented());
    const info = await t.port.getJobSubmitInfo(id);
    expect(info).toMatchObject({ JobId: id, JobName: "TestJob", JobDescription: "for test", Priority: 1, Dependences: [] });
    expect(info.Tasks?.[0]?.Application?.Command).toContain("fib(20)");
  });

  it("never echoes a task's secrets back", async () => {
    const req = documented();
    req.Job.Tasks[0]!.Authentications = [{ Scene: "COS", SecretId: "AKIDuser", SecretKey: "user-secret-key" }];
    const id = await submit(req);
    const info = await t.sdk.DescribeJobSubmitInfo({ JobId: id });
    expect(JSON.stringify(info)).not.toContain("user-secret-key");
    expect(info.Tasks?.[0]?.Authentications?.[0]?.SecretId).toBe("AKIDuser");
  });
});

describe("task instances as local processes", () => {
  it("sets BATCH_* and EnvVars, names redirected files by placeholders, keeps cloud credentials out", async () => {
    const saved = process.env.TENCENTCLOUD_SECRETKEY;
    process.env.TENCENTCLOUD_SECRETKEY = "emulator-host-secret";
    try {
      const req = jobOf({
        Render: {
          TaskInstanceNum: 3,
          Application: {
            DeliveryForm: "LOCAL",
            // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell default, not a JavaScript template
            Command: 'echo "$BATCH_JOB_ID $BATCH_TASK_NAME $BATCH_TASK_INSTANCE_NUM $BATCH_TASK_INSTANCE_INDEX $MODE ${TENCENTCLOUD_SECRETKEY:-none}"; echo oops >&2',
          },
          EnvVars: [{ Name: "MODE", Value: "prod" }],
          RedirectInfo: {
            StdoutRedirectPath: "cfs://10.66.140.208/out/",
            // biome-ignore lint/suspicious/noTemplateCurlyInString: Batch's own placeholder syntax
            StdoutRedirectFileName: "${BATCH_JOB_ID}-${BATCH_TASK_INSTANCE_INDEX}.out",
          },
        },
      });
      const id = await submit(req);
      expect((await finished(id)).JobState).toBe("SUCCEED");
      for (const i of [0, 1, 2]) {
        const text = readFileSync(join(t.dataDir, "cfs", "10.66.140.208", "out", `${id}-${i}.out`), "utf8");
        expect(text).toBe(`${id} Render 3 ${i} prod none\n`);
      }
      const logs = await t.sdk.DescribeTaskLogs({ JobId: id, TaskName: "Render", TaskInstanceIndexes: [2] });
      expect(logs.TaskInstanceLogSet).toHaveLength(1);
      expect(logs.TaskInstanceLogSet![0]).toMatchObject({ TaskInstanceIndex: 2, StdoutRedirectFileName: `${id}-2.out`, StderrRedirectPath: null });
      expect(Buffer.from(logs.TaskInstanceLogSet![0]!.StderrLog!, "base64").toString()).toBe("oops\n");
    } finally {
      if (saved === undefined) delete process.env.TENCENTCLOUD_SECRETKEY;
      else process.env.TENCENTCLOUD_SECRETKEY = saved;
    }
  });

  it("keeps only the last 2048 bytes of a stream for DescribeTaskLogs, the whole stream in the redirect", async () => {
    const req = jobOf({ Big: local(`python -c "print('a' * 3000 + 'END')"`, { RedirectInfo: { StdoutRedirectPath: COS } }) });
    const id = await submit(req);
    await finished(id);
    const tail = await t.sdk.DescribeTaskLogs({ JobId: id, TaskName: "Big" });
    const bytes = Buffer.from(tail.TaskInstanceLogSet![0]!.StdoutLog!, "base64");
    expect(bytes.length).toBe(2048);
    expect(bytes.toString().endsWith("aEND\n")).toBe(true);
    expect(readFileSync(join(t.dataDir, "cos", "bucket-1250000000", "logs", id, "Big", "0", "stdout.log")).length).toBe(3004);
  });

  it("fails an instance whose command exits non-zero, with the exit code", async () => {
    const id = await submit(jobOf({ Bad: "echo before; exit 3" }));
    const job = await finished(id);
    expect(job.JobState).toBe("FAILED");
    expect(job.StateReason).toContain("Bad");
    const inst = await instance(id, "Bad");
    expect(inst).toMatchObject({ TaskInstanceState: "FAILED", ExitCode: 3 });
    expect(inst.StateReason).toContain("code 3");
    expect(await stdout(id, "Bad")).toBe("before\n");
  });

  it("re-runs a failed instance MaxRetryCount times", async () => {
    const flaky = "if [ -f tried ]; then echo second; else touch tried; echo first; exit 7; fi";
    const id = await submit(jobOf({ Flaky: local(flaky, { MaxRetryCount: 1 }) }));
    expect((await finished(id)).JobState).toBe("SUCCEED");
    expect(await stdout(id, "Flaky")).toBe("second\n");

    const noRetry = await submit(jobOf({ Flaky: flaky }));
    expect((await finished(noRetry)).JobState).toBe("FAILED");
    expect((await instance(noRetry, "Flaky")).ExitCode).toBe(7);
  });

  it("kills an instance that outlives its Timeout", async () => {
    const started = Date.now();
    const id = await submit(jobOf({ Slow: local("echo started; sleep 30", { Timeout: 1 }) }));
    const job = await finished(id);
    expect(job.JobState).toBe("FAILED");
    expect(Date.now() - started).toBeLessThan(5_000);
    const inst = await instance(id, "Slow");
    expect(inst.TaskInstanceState).toBe("FAILED");
    expect(inst.StateReason).toContain("Timeout");
    expect(await stdout(id, "Slow")).toBe("started\n");
  });

  it("runs at most MaxConcurrentNum instances of a task at once", async () => {
    const lock = join(mkdtempSync(join(tmpdir(), "conc-")), "lock");
    // Fails when another instance holds the lock: only sequential instances all succeed.
    const exclusive = (extra: Partial<Task>) => local(`mkdir "${lock}" || exit 9; sleep 0.2; rmdir "${lock}"`, { TaskInstanceNum: 3, ...extra });
    const one = await submit(jobOf({ Seq: exclusive({ MaxConcurrentNum: 1 }) }));
    expect((await finished(one)).JobState).toBe("SUCCEED");
    const all = await submit(jobOf({ Par: exclusive({}) }));
    expect((await finished(all)).JobState).toBe("FAILED");
  });

  it("keeps a failed instance as FAILED_INTERRUPTED with FailedAction INTERRUPT until TerminateJob", async () => {
    const id = await submit(jobOf({ Keep: local("exit 1", { FailedAction: "INTERRUPT" }) }));
    const job = await finished(id);
    expect(job.JobState).toBe("FAILED_INTERRUPTED");
    expect((await instance(id, "Keep")).TaskInstanceState).toBe("FAILED_INTERRUPTED");
    expect(await errCode(t.sdk.DeleteJob({ JobId: id }))).toBe("ResourceInUse.Job");
    await t.sdk.TerminateJob({ JobId: id });
    expect((await inState(id, "FAILED")).TaskSet?.[0]?.TaskState).toBe("FAILED");
    expect((await instance(id, "Keep")).TaskInstanceState).toBe("FAILED");
    await t.port.deleteJob(id);
    expect(await errCode(t.sdk.DescribeJob({ JobId: id }))).toBe("ResourceNotFound.Job");
  });
});

describe("dependences (DAG)", () => {
  it("runs tasks in dependence order", async () => {
    const order = join(mkdtempSync(join(tmpdir(), "dag-")), "order.txt");
    const step = (name: string, delay = 0) => local(`sleep ${delay}; echo ${name} >> "$ORDER"`, { EnvVars: [{ Name: "ORDER", Value: order }] });
    const req = jobOf({ A: step("A"), B: step("B", 0.2), C: step("C"), D: step("D") }, { Dependences: deps("A>B", "A>C", "B>D", "C>D") });
    const id = await submit(req);
    const job = await finished(id);
    expect(job.JobState).toBe("SUCCEED");
    expect(job.DependenceSet).toHaveLength(4);
    const lines = readFileSync(order, "utf8").trim().split("\n");
    expect(lines[0]).toBe("A");
    expect(lines[3]).toBe("D");
    expect(lines.slice(1, 3).sort()).toEqual(["B", "C"]);
  });

  it("fails a task whose dependence failed (PRE_TASK_SUCCEED) without running it; independent tasks still run", async () => {
    const req = jobOf({ A: "exit 1", B: "echo ran", C: "echo independent" }, { Dependences: deps("A>B") });
    const id = await submit(req);
    const job = await finished(id);
    expect(job.JobState).toBe("FAILED");
    const states = Object.fromEntries(job.TaskSet!.map((x) => [x.TaskName, x.TaskState]));
    expect(states).toEqual({ A: "FAILED", B: "FAILED", C: "SUCCEED" });
    const b = await instance(id, "B");
    expect(b.RunningTime).toBeNull();
    expect(b.StateReason).toContain("A");
    expect(await stdout(id, "B")).toBe("");
  });

  it("runs the next task after a partial success with PRE_TASK_AT_LEAST_PARTLY_SUCCEED", async () => {
    const req = jobOf(
      { A: local('[ "$BATCH_TASK_INSTANCE_INDEX" = 0 ]', { TaskInstanceNum: 2 }), B: "echo ran" },
      { Dependences: deps("A>B"), TaskExecutionDependOn: "PRE_TASK_AT_LEAST_PARTLY_SUCCEED" },
    );
    const id = await submit(req);
    const job = await finished(id);
    expect(job.TaskSet!.map((x) => x.TaskState)).toEqual(["FAILED", "SUCCEED"]);
    expect(job.JobState).toBe("FAILED");
    expect(await stdout(id, "B")).toBe("ran\n");
  });

  it("runs the next task after any ending with PRE_TASK_FINISHED", async () => {
    const req = jobOf({ A: "exit 1", B: "echo ran" }, { Dependences: deps("A>B"), TaskExecutionDependOn: "PRE_TASK_FINISHED" });
    const id = await submit(req);
    await finished(id);
    expect(await stdout(id, "B")).toBe("ran\n");
  });
});

describe("TerminateJob, DeleteJob, RetryJobs", () => {
  it("terminates a running job: its process is killed and everything ends FAILED", async () => {
    const mark = join(mkdtempSync(join(tmpdir(), "term-")), "late");
    const id = await submit(
      jobOf({ Long: `echo up; sleep 2; touch "${mark}"`, Never: "echo never" }, { Dependences: deps("Long>Never") }),
    );
    await inState(id, "RUNNING");
    expect(await errCode(t.sdk.DeleteJob({ JobId: id }))).toBe("ResourceInUse.Job");
    await t.port.terminateJob(id);
    const job = await inState(id, "FAILED");
    expect(job.TaskSet!.map((x) => x.TaskState)).toEqual(["FAILED", "FAILED"]);
    expect((await instance(id, "Long")).StateReason).toContain("Terminate");
    await new Promise((r) => setTimeout(r, 2_300));
    expect(existsSync(mark)).toBe(false);
    await t.sdk.DeleteJob({ JobId: id });
    expect(await errCode(t.port.getJob(id))).toBe("batch.ResourceNotFound.Job");
  });

  it("leaves a SUCCEED job alone", async () => {
    const id = await submit(jobOf({ A: "true" }));
    await inState(id, "SUCCEED");
    await t.sdk.TerminateJob({ JobId: id });
    await new Promise((r) => setTimeout(r, 100));
    expect((await t.sdk.DescribeJob({ JobId: id })).JobState).toBe("SUCCEED");
  });

  it("retries only FAILED jobs, re-running failed instances in DAG order with their history reset", async () => {
    const dir = mkdtempSync(join(tmpdir(), "retry-"));
    const env = [{ Name: "DIR", Value: dir }];
    const req = jobOf(
      {
        A: local('echo A >> "$DIR/runs"', { EnvVars: env }),
        B: local('echo B >> "$DIR/runs"; test -f "$DIR/ready"', { EnvVars: env }),
        C: local('echo C >> "$DIR/runs"', { EnvVars: env }),
      },
      {
        Dependences: deps("A>B", "B>C"),
      },
    );
    const id = await submit(req);
    expect((await finished(id)).JobState).toBe("FAILED");
    expect(readFileSync(join(dir, "runs"), "utf8")).toBe("A\nB\n");
    expect((await instance(id, "B")).ExitCode).toBe(1);

    const ok = await submit(jobOf({ A: "true" }));
    await inState(ok, "SUCCEED");
    expect(await errCode(t.sdk.RetryJobs({ JobIds: [id, ok] }))).toBe("UnsupportedOperation");
    expect(await errCode(t.sdk.RetryJobs({ JobIds: ["job-zzzzzzzz"] }))).toBe("ResourceNotFound.Job");
    expect(await errCode(t.sdk.RetryJobs({ JobIds: ["job-1"] }))).toBe("InvalidParameter.JobIdMalformed");
    const many = Array.from({ length: 101 }, (_, i) => `job-${String(i).padStart(8, "0")}`);
    expect(await errCode(t.sdk.RetryJobs({ JobIds: many }))).toBe("InvalidParameterValue.LimitExceeded");

    writeFileSync(join(dir, "ready"), "");
    await t.port.retryJobs([id]);
    const job = await inState(id, "SUCCEED");
    expect(job.EndTime).toBeTruthy();
    expect(readFileSync(join(dir, "runs"), "utf8")).toBe("A\nB\nB\nC\n");
    const b = await instance(id, "B");
    expect(b).toMatchObject({ TaskInstanceState: "SUCCEED", ExitCode: 0, StateReason: "" });
  });
});

describe("SubmitJob validation", () => {
  type Edit = (r: Req) => void;
  const task = (r: Req) => r.Job.Tasks[0]! as Task & Record<string, unknown>;
  const cases: Array<[string, Edit, string, string?]> = [
    ["Placement.Zone missing", (r) => (r.Placement = {} as never), "MissingParameter", "Placement.Zone"],
    ["a zone of another region", (r) => (r.Placement.Zone = "ap-shanghai-1"), "InvalidZone.MismatchRegion", "Placement.Zone"],
    ["JobName over 60", (r) => (r.Job.JobName = "j".repeat(61)), "InvalidParameter.JobNameTooLong", "Job.JobName"],
    ["JobDescription over 200", (r) => (r.Job.JobDescription = "d".repeat(201)), "InvalidParameter.JobDescriptionTooLong"],
    ["Priority over 100", (r) => (r.Job.Priority = 101), "InvalidParameterValue", "Job.Priority"],
    ["Priority below 0", (r) => (r.Job.Priority = -1), "InvalidParameterValue", "Job.Priority"],
    ["Priority not a number", (r) => (r.Job.Priority = "high" as never), "InvalidParameter", "Job.Priority"],
    ["no tasks", (r) => (r.Job.Tasks = []), "InvalidParameterValue", "Job.Tasks"],
    ["TaskName over 60", (r) => (task(r).TaskName = "t".repeat(61)), "InvalidParameter.TaskNameTooLong", "Job.Tasks.0.TaskName"],
    ["a duplicate TaskName", (r) => r.Job.Tasks.push(structuredClone(task(r))), "InvalidParameter.TaskName", "Job.Tasks.1.TaskName"],
    ["a TaskName with a slash", (r) => (task(r).TaskName = "a/b"), "InvalidParameter.TaskName"],
    ["both EnvId and ComputeEnv", (r) => (task(r).EnvId = "env-abcdefgh"), "AllowedOneAttributeInEnvIdAndComputeEnv"],
    ["neither EnvId nor ComputeEnv", (r) => delete task(r).ComputeEnv, "AllowedOneAttributeInEnvIdAndComputeEnv"],
    ["both Command and Commands", (r) => (task(r).Application.Commands = [{ Command: "true" }]), "InvalidParameter.InvalidParameterCombination"],
    ["neither Command nor Commands", (r) => delete task(r).Application.Command, "InvalidParameter.InvalidParameterCombination"],
    ["TaskInstanceNum 0", (r) => (task(r).TaskInstanceNum = 0), "InvalidParameterValue", "Job.Tasks.0.TaskInstanceNum"],
    ["a dependence on an unknown task", (r) => (r.Job.Dependences = [{ StartTask: "Task1", EndTask: "Nope" }]), "InvalidParameterValue.DependenceNotFoundTaskName", "Nope"],
    [
      "a dependence cycle",
      (r) => {
        r.Job.Tasks.push({ ...structuredClone(task(r)), TaskName: "Task2" });
        r.Job.Dependences = deps("Task1>Task2", "Task2>Task1");
      },
      "InvalidParameterValue.DependenceUnfeasible",
    ],
    ["a task depending on itself", (r) => (r.Job.Dependences = [{ StartTask: "Task1", EndTask: "Task1" }]), "InvalidParameterValue.DependenceUnfeasible"],
    ["an unknown EnvId", (r) => onEnvId(r, "env-abcdefgh"), "ResourceNotFound.ComputeEnv"],
    ["a malformed EnvId", (r) => onEnvId(r, "env-1"), "InvalidParameter.EnvIdMalformed"],
    ["an unknown InstanceType", (r) => (task(r).ComputeEnv!.EnvData!.InstanceType = "X9.HUGE"), "InvalidParameterValue.InstanceType"],
    ["BS1 outside the BS1 zones", (r) => {
      r.Placement.Zone = "ap-guangzhou-3";
      task(r).ComputeEnv!.EnvData!.InstanceType = "BS1.LARGE8";
    }, "InvalidParameterValue.UnavailableZone"],
    ["a malformed ImageId", (r) => (task(r).ComputeEnv!.EnvData!.ImageId = "image-1"), "InvalidParameter.ImageIdMalformed"],
    ["an UNMANAGED anonymous env", (r) => (task(r).ComputeEnv!.EnvType = "UNMANAGED"), "InvalidParameterValue.ComputeEnv"],
    [
      "a JSON-API COS domain",
      (r) => (task(r).RedirectInfo!.StdoutRedirectPath = "cos://bucket-1250000000.cosgz.myqcloud.com/logs/"),
      "InvalidParameterValue.RemoteStoragePath",
      "Job.Tasks.0.RedirectInfo.StdoutRedirectPath",
    ],
    ["a bucket in another region", (r) => (task(r).RedirectInfo!.StdoutRedirectPath = "cos://bucket-1250000000.cos.ap-beijing.myqcloud.com/logs/"), "InvalidParameterValue.RemoteStoragePath"],
    ["a COS path without a trailing slash", (r) => (task(r).RedirectInfo!.StderrRedirectPath = COS.slice(0, -1)), "InvalidParameterValue.RemoteStoragePath"],
    [
      "a redirect file name escaping the folder",
      (r) => (task(r).RedirectInfo!.StdoutRedirectFileName = "../../../escape.log"),
      "InvalidParameterValue.RemoteStoragePath",
      "StdoutRedirectFileName",
    ],
    ["11 tags", (r) => (r.Job.Tags = Array.from({ length: 11 }, (_, i) => ({ Key: `k${i}`, Value: "v" }))), "InvalidParameterValue.LimitExceeded", "Job.Tags"],
    [
      "an event name that is no job event",
      (r) => (r.Job.Notifications = notify("COMPUTE_ENV_CREATED")),
      "InvalidParameterValue",
    ],
    [
      "an event configured twice",
      (r) => (r.Job.Notifications = notify("JOB_FAILED", "JobFailed")),
      "InvalidParameter.NotificationEventNameDuplicate",
    ],
    ["MaxRetryCount below 0", (r) => (task(r).MaxRetryCount = -1), "InvalidParameterValue.MaxRetryCount", "Job.Tasks.0.MaxRetryCount"],
    ["Timeout 0", (r) => (task(r).Timeout = 0), "InvalidParameterValue", "Job.Tasks.0.Timeout"],
    ["an unknown FailedAction", (r) => (task(r).FailedAction = "EXPLODE"), "InvalidParameterValue", "FailedAction"],
    ["an unknown TaskExecutionDependOn", (r) => (r.Job.TaskExecutionDependOn = "WHENEVER"), "InvalidParameterValue"],
    ["an unknown Job field", (r) => ((r.Job as unknown as Record<string, unknown>).Color = "red"), "UnknownParameter", "Job.Color"],
  ];

  it.each(cases)("refuses %s", async (_what, edit, code, inMessage) => {
    const req = documented();
    edit(req);
    const before = (await t.sdk.DescribeJobs({ Limit: 1 })).TotalCount;
    const err = await failure(t.sdk.SubmitJob(req));
    expect(err.code).toBe(code);
    if (inMessage) expect(err.message).toContain(inMessage);
    expect((await t.sdk.DescribeJobs({ Limit: 1 })).TotalCount).toBe(before);
  });

  it("accepts Priority as a number or a numeric string, both event spellings and node events", async () => {
    const req = documented();
    req.Job.Priority = 100;
    req.Job.Notifications = notify("JobSucceed", "COMPUTE_NODE_CREATED");
    const id = await submit(req);
    expect((await t.sdk.DescribeJob({ JobId: id })).Priority).toBe(100);
  });

  it("answers the same JobId for a repeated ClientToken and refuses the token for another request", async () => {
    const token = `tok-${Date.now()}`;
    const a = await t.sdk.SubmitJob({ ...documented(), ClientToken: token });
    const b = await t.sdk.SubmitJob({ ...documented(), ClientToken: token });
    expect(b.JobId).toBe(a.JobId);
    const other = documented();
    other.Job.JobName = "OtherJob";
    const err = await failure(t.sdk.SubmitJob({ ...other, ClientToken: token }));
    expect(err.code).toBe("InvalidParameter");
    expect(err.message).toContain("ClientToken");
    const viaPort = await t.port.submitJob({ ...documented(), ClientToken: token } as SubmitJobRequest);
    expect(viaPort.jobId).toBe(a.JobId);
  });
});

describe("reading jobs and tasks", () => {
  let tagged: string;
  let seven: string;
  beforeAll(async () => {
    const req = jobOf({ Wide: local('echo "i$BATCH_TASK_INSTANCE_INDEX"; [ "$BATCH_TASK_INSTANCE_INDEX" != 6 ]', { TaskInstanceNum: 7 }) });
    req.Job.JobName = "reader-job";
    req.Job.Tags = [{ Key: "team", Value: "render" }];
    tagged = await submit(req);
    seven = tagged;
    await finished(tagged);
  });

  it("answers unknown and malformed ids with the documented codes", async () => {
    expect(await errCode(t.sdk.DescribeJob({ JobId: "job-zzzzzzzz" }))).toBe("ResourceNotFound.Job");
    expect(await errCode(t.sdk.DescribeJob({ JobId: "nope" }))).toBe("InvalidParameter.JobIdMalformed");
    expect(await errCode(t.sdk.TerminateJob({ JobId: "job-zzzzzzzz" }))).toBe("ResourceNotFound.Job");
    expect(await errCode(t.sdk.DeleteJob({ JobId: "bad" }))).toBe("InvalidParameter.JobIdMalformed");
    expect(await errCode(t.sdk.DescribeJobSubmitInfo({ JobId: "job-zzzzzzzz" }))).toBe("ResourceNotFound.Job");
    expect(await errCode(t.sdk.DescribeTask({ JobId: tagged, TaskName: "Nope" }))).toBe("ResourceNotFound.Task");
    expect(await errCode(t.sdk.DescribeTaskLogs({ JobId: tagged, TaskName: "Nope" }))).toBe("ResourceNotFound.Task");
    expect(await errCode(t.sdk.DescribeTaskLogs({ JobId: tagged, TaskName: "Wide", TaskInstanceIndexes: [9] }))).toBe("ResourceNotFound.TaskInstance");
  });

  it("keeps jobs to their region", async () => {
    const shanghai = clientAt(`127.0.0.1:${t.emu.port}`, "ap-shanghai");
    expect(await errCode(shanghai.DescribeJob({ JobId: tagged }))).toBe("ResourceNotFound.Job");
    expect((await shanghai.DescribeJobs({ Filters: [{ Name: "job-id", Values: [tagged] }] })).TotalCount).toBe(0);
  });

  it("filters DescribeJobs by id, name, state, zone and tags, and pages", async () => {
    const names = async (filters: Array<{ Name: string; Values: string[] }>) => (await t.port.listJobs({ filters })).items.map((j) => j.JobId);
    expect(await names([{ Name: "job-name", Values: ["reader-job"] }])).toEqual([tagged]);
    expect(await names([{ Name: "tag:team", Values: ["render"] }])).toEqual([tagged]);
    expect(await names([{ Name: "tag-key", Values: ["team"] }])).toEqual([tagged]);
    expect(await names([{ Name: "tag-value", Values: ["render"] }])).toEqual([tagged]);
    expect(await names([{ Name: "tag:team", Values: ["other"] }])).toEqual([]);
    expect(await names([{ Name: "job-id", Values: [tagged, "job-zzzzzzzz"] }, { Name: "job-state", Values: ["FAILED"] }])).toEqual([tagged]);
    expect(await names([{ Name: "job-id", Values: [tagged] }, { Name: "job-state", Values: ["SUCCEED", "RUNNING"] }])).toEqual([]);
    expect(await names([{ Name: "job-id", Values: [tagged] }, { Name: "zone", Values: ["ap-guangzhou-2"] }])).toEqual([tagged]);
    const view = (await t.port.listJobs({ jobIds: [tagged] })).items[0]!;
    expect(view).toMatchObject({ JobName: "reader-job", JobState: "FAILED", Placement: { Zone: "ap-guangzhou-2" }, Tags: [{ Key: "team", Value: "render" }] });
    expect(view.TaskMetrics?.FailedCount).toBe(1);

    const all = await t.sdk.DescribeJobs({});
    expect(all.JobSet!.length).toBe(Math.min(20, all.TotalCount!));
    const p1 = await t.sdk.DescribeJobs({ Offset: 0, Limit: 2 });
    const p2 = await t.sdk.DescribeJobs({ Offset: 2, Limit: 2 });
    expect(p1.JobSet).toHaveLength(2);
    expect(p2.JobSet!.map((j) => j.JobId)).not.toContain(p1.JobSet![0]!.JobId);
  });

  it("refuses bad DescribeJobs requests", async () => {
    const code = (req: Record<string, unknown>) => errCode(t.sdk.DescribeJobs(req));
    expect(await code({ JobIds: [tagged], Filters: [{ Name: "job-name", Values: ["x"] }] })).toBe("InvalidParameter.InvalidParameterCombination");
    expect(await code({ Limit: 101 })).toBe("InvalidParameterValue.LimitExceeded");
    expect(await code({ Offset: -1 })).toBe("InvalidParameterValue.Negative");
    expect(await code({ Filters: [{ Name: "color", Values: ["red"] }] })).toBe("InvalidFilter");
    expect(await code({ Filters: [{ Name: "zone", Values: ["ap-beijing-1"] }] })).toBe("InvalidZone.MismatchRegion");
    expect(await code({ JobIds: ["job"] })).toBe("InvalidParameter.JobIdMalformed");
  });

  it("answers DescribeTask with instance states, filters and pages", async () => {
    const task = await t.port.getTask(seven, "Wide");
    expect(task.TaskState).toBe("FAILED");
    expect(task.TaskInstanceTotalCount).toBe(7);
    expect(task.TaskInstanceMetrics).toMatchObject({ SucceedCount: 6, FailedCount: 1 });
    const failed = await t.sdk.DescribeTask({ JobId: seven, TaskName: "Wide", Filters: [{ Name: "task-instance-state", Values: ["FAILED"] }] });
    expect(failed.TaskInstanceTotalCount).toBe(1);
    expect(failed.TaskInstanceSet!.map((i) => i.TaskInstanceIndex)).toEqual([6]);
    const paged = await t.port.getTask(seven, "Wide", { offset: 5, limit: 10 });
    expect(paged.TaskInstanceSet.map((i) => i.TaskInstanceIndex)).toEqual([5, 6]);
    expect(await errCode(t.sdk.DescribeTask({ JobId: seven, TaskName: "Wide", Limit: 1001 }))).toBe("InvalidParameterValue.LimitExceeded");
  });

  it("answers DescribeTaskLogs 5 at a time by default, at most 10, by index or by offset", async () => {
    const first = await t.port.getTaskLogs(seven, "Wide", {});
    expect(first.total).toBe(7);
    expect(first.items.map((l) => l.TaskInstanceIndex)).toEqual([0, 1, 2, 3, 4]);
    const rest = await t.port.getTaskLogs(seven, "Wide", { offset: 5 });
    expect(rest.items.map((l) => Buffer.from(l.StdoutLog ?? "", "base64").toString())).toEqual(["i5\n", "i6\n"]);
    const byIndex = await t.port.getTaskLogs(seven, "Wide", { indexes: [3, 1] });
    expect(byIndex.items.map((l) => l.TaskInstanceIndex)).toEqual([3, 1]);
    const code = (req: Record<string, unknown>) => errCode(t.sdk.DescribeTaskLogs({ JobId: seven, TaskName: "Wide", ...req }));
    expect(await code({ TaskInstanceIndexes: [0], Offset: 0 })).toBe("InvalidParameter.InvalidParameterCombination");
    expect(await code({ Limit: 11 })).toBe("InvalidParameterValue.LimitExceeded");
    expect(await code({ Offset: -1 })).toBe("InvalidParameterValue.Negative");
  });
});

describe("events", () => {
  it("publishes every configured job, task and instance event with the job's identity", async () => {
    const req = jobOf({ A: "true", B: "exit 1" });
    req.Job.JobName = "evented";
    req.Job.Notifications = [
      {
        TopicName: "batch-events",
        EventConfigs: [
          { EventName: "JOB_RUNNING", EventVars: [{ Name: "team", Value: "render" }] },
          ...eventConfigs("JobFailed", "JOB_SUCCEED", "TASK_RUNNING", "TASK_SUCCEED", "TASK_FAILED", "TASK_INSTANCE_RUNNING", "TASK_INSTANCE_SUCCEED"),
          ...eventConfigs("TASK_INSTANCE_FAILED", "COMPUTE_NODE_RUNNING"),
        ],
      },
    ];
    const id = await submit(req);
    await finished(id);
    const events = await eventually(() => {
      const mine = t.published
        .filter((p) => p.topic === "batch-events")
        .flatMap((p) => (JSON.parse(p.body) as { Events: Array<{ EventName: string; EventVars: unknown[]; Region: string; Batch: Record<string, unknown> }> }).Events)
        .filter((e) => e.Batch.JobId === id);
      return mine.some((e) => e.EventName === "JOB_FAILED") ? mine : undefined;
    });
    const names = events.map((e) => e.EventName);
    for (const n of ["JOB_RUNNING", "TASK_RUNNING", "TASK_INSTANCE_RUNNING", "TASK_INSTANCE_SUCCEED", "TASK_SUCCEED", "TASK_INSTANCE_FAILED", "TASK_FAILED", "JOB_FAILED", "COMPUTE_NODE_RUNNING"])
      expect(names).toContain(n);
    expect(names).not.toContain("JOB_SUCCEED");
    expect(names.filter((n) => n === "JOB_FAILED")).toHaveLength(1);
    const running = events.find((e) => e.EventName === "JOB_RUNNING")!;
    expect(running.EventVars).toEqual([{ Name: "team", Value: "render" }]);
    expect(running.Region).toBe("ap-guangzhou");
    expect(running.Batch).toMatchObject({ JobId: id, JobName: "evented", JobState: "RUNNING" });
    expect(events.find((e) => e.EventName === "TASK_INSTANCE_FAILED")!.Batch).toMatchObject({
      JobId: id,
      TaskName: "B",
      TaskInstanceIndex: 0,
      TaskInstanceState: "FAILED",
    });
    expect(events.find((e) => e.EventName === "JOB_FAILED")!.Batch).toMatchObject({ JobState: "FAILED" });
  });
});

describe("tasks on a named compute environment", () => {
  const createEnv = async (name: string, nodes: number) =>
    (
      await t.sdk.CreateComputeEnv({
        Placement: { Zone: "ap-guangzhou-2" },
        ComputeEnv: { EnvName: name, DesiredComputeNodeCount: nodes, EnvData: { InstanceType: "S1.SMALL1", ImageId: "img-31tjrtph" } },
      })
    ).EnvId!;

  async function envWithOneNode(name: string): Promise<{ envId: string; nodeId: string; instanceId: string }> {
    const envId = await createEnv(name, 1);
    const node = await eventually(async () => (await t.sdk.DescribeComputeEnv({ EnvId: envId })).ComputeNodeSet?.find((n) => n.ComputeNodeState === "RUNNING"));
    return { envId, nodeId: node.ComputeNodeId!, instanceId: node.ComputeNodeInstanceId! };
  }

  const onEnv = (envId: string, tasks: Record<string, string>, job: Partial<SubmitJobRequest["Job"]> = {}) => onEnvId(jobOf(tasks, job), envId);

  it("runs one instance per idle node, higher Priority first", async () => {
    const { envId, instanceId } = await envWithOneNode("prio-env");
    const order = join(mkdtempSync(join(tmpdir(), "prio-")), "order.txt");
    const blocker = await submit(onEnv(envId, { Hold: "sleep 1" }));
    await inState(blocker, "RUNNING");
    const busy = await t.sdk.DescribeComputeEnv({ EnvId: envId });
    expect(busy.ComputeNodeSet![0]!.TaskInstanceNumAvailable).toBe(0);

    const low = await submit(onEnv(envId, { Low: `echo low >> "${order}"` }, { Priority: 1 }));
    const high = await submit(onEnv(envId, { High: `echo high >> "${order}"` }, { Priority: 90 }));
    await inState(low, "RUNNABLE");
    await inState(high, "RUNNABLE");
    await finished(low);
    await finished(high);
    expect(readFileSync(order, "utf8")).toBe("high\nlow\n");
    expect((await instance(high, "High")).ComputeNodeInstanceId).toBe(instanceId);
    const idle = await t.sdk.DescribeComputeEnv({ EnvId: envId });
    expect(idle.ComputeNodeSet![0]!.TaskInstanceNumAvailable).toBe(1);
  });

  it("fails a waiting job whose compute environment was deleted (ResourceNotFound.ComputeEnv)", async () => {
    const envId = await createEnv("gone-env", 0);
    const id = await submit(onEnv(envId, { Wait: "echo never" }));
    await inState(id, "RUNNABLE");
    await t.sdk.DeleteComputeEnv({ EnvId: envId });
    const job = await finished(id);
    expect(job.JobState).toBe("FAILED");
    expect(job.TaskSet).toEqual([expect.objectContaining({ TaskName: "Wait", TaskState: "FAILED" })]);
    const inst = await instance(id, "Wait");
    expect(inst.TaskInstanceState).toBe("FAILED");
    expect(inst.StateReason).toContain("ResourceNotFound.ComputeEnv");
  });

  it("fails a running instance whose node turns ABNORMAL", async () => {
    const { envId, nodeId } = await envWithOneNode("abnormal-env");
    const id = await submit(onEnv(envId, { Hold: "sleep 30" }));
    await inState(id, "RUNNING");
    const res = await fetch(`${t.emu.url}/_emulator/nodes/${nodeId}/abnormal`, { method: "POST" });
    expect(res.status).toBe(200);
    const job = await finished(id);
    expect(job.JobState).toBe("FAILED");
    const inst = await instance(id, "Hold");
    expect(inst.TaskInstanceState).toBe("FAILED");
    expect(inst.StateReason).toContain("ABNORMAL");
  });
});

describe("emulator modes", () => {
  it("refuses TerminateJob while the job is SUBMITTED", async () => {
    await withEmulator({ timings: { tickMs: 60_000 } }, async (slow) => {
      const id = await submit(documented(), slow);
      expect((await slow.sdk.DescribeJob({ JobId: id })).JobState).toBe("SUBMITTED");
      expect(await errCode(slow.sdk.TerminateJob({ JobId: id }))).toBe("UnsupportedOperation");
      expect(await errCode(slow.sdk.DeleteJob({ JobId: id }))).toBe("ResourceInUse.Job");
    });
  });

  it("completes instances without running anything when EMULATOR_EXEC is off", async () => {
    await withEmulator({ exec: false }, async (off) => {
      const req = documented();
      req.Job.Tasks[0]!.Application.Command = "exit 1";
      const id = await submit(req, off);
      const job = await finished(id, off);
      expect(job.JobState).toBe("SUCCEED");
      expect((await instance(id, "Task1", 0, off)).ExitCode).toBe(0);
      expect(existsSync(join(off.dataDir, "cos"))).toBe(false);
    });
  });

  it("kills a task's process group left running by a kill -9 of the emulator before re-queueing it", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "batch-crash-"));
    const child = spawn(process.execPath, ["--import", "tsx", "local/emulator/main.ts"], {
      cwd: fileURLToPath(new URL("../..", import.meta.url)),
      env: {
        ...process.env,
        BATCH_EMULATOR_PORT: "0",
        LOCAL_DATA_DIR: dataDir,
        TENCENTCLOUD_SECRETID: TEST_SECRET_ID,
        TENCENTCLOUD_SECRETKEY: TEST_SECRET_KEY,
        EMULATOR_TICK_MS: "20",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let pgid: number | undefined;
    const alive = (g: number) => {
      try {
        process.kill(-g, 0);
        return true;
      } catch {
        return false;
      }
    };
    try {
      let out = "";
      child.stdout?.on("data", (b: Buffer) => {
        out += b.toString();
      });
      const url = await eventually(() => /ready on (http:\/\/\S+)/.exec(out)?.[1], 15_000);
      const sdk = clientAt(url.replace("http://", ""));
      const { JobId: id } = await sdk.SubmitJob(jobOf({ Orphan: "sleep 30" }));
      const where = await eventually(async () => {
        const i = (await (await fetch(`${url}/_emulator/jobs/${id}/tasks/Orphan/instances/0`)).json()) as Record<string, unknown>;
        return i.state === "RUNNING" && typeof i.pgid === "number" ? i : undefined;
      });
      pgid = where.pgid as number;
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));
      expect(alive(pgid)).toBe(true); // the orphan outlived the emulator

      const g = pgid;
      await withEmulator({ dataDir }, async () => {
        await eventually(() => !alive(g), 3_000);
        expect(alive(g)).toBe(false);
      });
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      if (pgid !== undefined && alive(pgid)) process.kill(-pgid, "SIGKILL");
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 30_000);

  it("re-queues instances that were running when the emulator stopped", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "batch-restart-"));
    try {
      const first = await startTestEmulator({ dataDir });
      const req = jobOf({ Resume: local("echo run >> runs.txt; sleep 0.5; wc -l < runs.txt", { RedirectInfo: { StdoutRedirectPath: COS } }) });
      const id = await submit(req, first);
      const where = await eventually(async () => {
        const i = await emulatorGet(`/jobs/${id}/tasks/Resume/instances/0`, first);
        return i.state === "RUNNING" && existsSync(join(String(i.workDir), "runs.txt")) ? i : undefined;
      });
      await first.stop();

      await withEmulator({ dataDir }, async (second) => {
        expect((await finished(id, second)).JobState).toBe("SUCCEED");
        expect((await stdout(id, "Resume", 0, second)).trim()).toBe("2");
        expect(readFileSync(String(where.stdoutFile), "utf8").trim()).toBe("2");
      });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
