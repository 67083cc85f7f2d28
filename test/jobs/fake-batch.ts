// An in-memory BatchPort for the jobs handler tests: jobs, tags, filters, ClientToken replay and
// Batch's error codes (through the adapter's own batchError, so statuses match production).
import type { JobDetail, TaskDetail, TaskInstanceLog } from "../../shared/batch/models";
import type { BatchPort, Filter, SubmitJobRequest } from "../../shared/batch/port";
import { batchError } from "../../shared/batch/errors";

type Tag = { Key: string; Value: string };

export interface FakeJob {
  id: string;
  request: SubmitJobRequest;
  state: string;
  tags: Tag[];
  instances: Record<string, Array<{ state: string; stdout: string; stderr: string; exitCode: number | null }>>;
}

const sdkError = (action: string, code: string, message: string) => batchError(action, { code, message, requestId: `req-${code}` });

export function fakeBatch() {
  const jobs = new Map<string, FakeJob>();
  const tokens = new Map<string, { jobId: string; body: string }>();
  const calls: Array<{ action: string; req: unknown }> = [];
  let seq = 0;
  let failNext: { error: Error; action: string | undefined } | undefined;

  const find = (action: string, jobId: string) => {
    const j = jobs.get(jobId);
    if (!j) throw sdkError(action, "ResourceNotFound.Job", `job ${jobId} not found`);
    return j;
  };
  const record = (action: string, req: unknown) => {
    calls.push({ action, req });
    if (failNext && (failNext.action === undefined || failNext.action === action)) {
      const e = failNext.error;
      failNext = undefined;
      throw e;
    }
  };
  const matches = (j: FakeJob, f: Filter) => {
    if (f.Name === "job-state") return f.Values.includes(j.state);
    if (f.Name === "job-name") return f.Values.includes(j.request.Job.JobName ?? "");
    if (f.Name === "zone") return f.Values.includes(j.request.Placement.Zone);
    if (f.Name === "tag-key") return j.tags.some((t) => f.Values.includes(t.Key));
    if (f.Name.startsWith("tag:")) return j.tags.some((t) => t.Key === f.Name.slice(4) && f.Values.includes(t.Value));
    throw sdkError("DescribeJobs", "InvalidFilter", `unknown filter ${f.Name}`);
  };
  const detail = (j: FakeJob): JobDetail => ({
    JobId: j.id,
    JobName: j.request.Job.JobName ?? null,
    Zone: j.request.Placement.Zone,
    Priority: j.request.Job.Priority ?? 0,
    JobState: j.state,
    CreateTime: "2026-11-27T10:00:00Z",
    EndTime: null,
    TaskSet: j.request.Job.Tasks.map((t) => ({ TaskName: t.TaskName ?? "", TaskState: j.state === "SUBMITTED" ? "PENDING" : j.state, CreateTime: null, EndTime: null })),
    DependenceSet: (j.request.Job.Dependences ?? []).map((d) => ({ StartTask: d.StartTask ?? "", EndTask: d.EndTask ?? "" })),
    TaskMetrics: null,
    TaskInstanceMetrics: null,
    StateReason: "",
    Tags: j.tags,
    NextAction: null,
    RequestId: "req-describe",
  });

  const port: BatchPort = {
    async submitJob(req) {
      record("SubmitJob", req);
      const { ClientToken, ...rest } = req;
      const body = JSON.stringify(rest);
      if (ClientToken) {
        const prior = tokens.get(ClientToken);
        if (prior && prior.body !== body) throw sdkError("SubmitJob", "InvalidParameter", `ClientToken: token ${ClientToken} was already used for a different SubmitJob request`);
        if (prior) return { jobId: prior.jobId, requestId: "req-replay" };
      }
      const id = `job-${String(++seq).padStart(8, "0")}`;
      const instances: FakeJob["instances"] = {};
      for (const t of req.Job.Tasks)
        instances[t.TaskName ?? ""] = Array.from({ length: t.TaskInstanceNum ?? 1 }, () => ({ state: "PENDING", stdout: "", stderr: "", exitCode: null }));
      jobs.set(id, { id, request: structuredClone(req), state: "SUBMITTED", tags: req.Job.Tags ?? [], instances });
      if (ClientToken) tokens.set(ClientToken, { jobId: id, body });
      return { jobId: id, requestId: `req-submit-${seq}` };
    },
    async getJob(jobId) {
      record("DescribeJob", { JobId: jobId });
      return detail(find("DescribeJob", jobId));
    },
    async listJobs(q) {
      record("DescribeJobs", q);
      const all = [...jobs.values()].filter((j) => (q.filters ?? []).every((f) => matches(j, f)));
      const offset = q.offset ?? 0;
      const items = all.slice(offset, offset + (q.limit ?? 20)).map((j) => {
        const d = detail(j);
        return { JobId: d.JobId, JobName: d.JobName, JobState: d.JobState, Priority: d.Priority, Placement: { Zone: j.request.Placement.Zone }, CreateTime: d.CreateTime, EndTime: null, TaskMetrics: null, Tags: j.tags };
      });
      return { items, total: all.length };
    },
    async getJobSubmitInfo(jobId) {
      record("DescribeJobSubmitInfo", { JobId: jobId });
      const j = find("DescribeJobSubmitInfo", jobId);
      return { JobId: j.id, Tasks: j.request.Job.Tasks, Tags: j.tags, RequestId: "req-info" } as never;
    },
    async terminateJob(jobId) {
      record("TerminateJob", { JobId: jobId });
      const j = find("TerminateJob", jobId);
      if (j.state === "SUBMITTED") throw sdkError("TerminateJob", "UnsupportedOperation", "job is SUBMITTED");
      j.state = "FAILED";
      return { requestId: "req-terminate" };
    },
    async deleteJob(jobId) {
      record("DeleteJob", { JobId: jobId });
      const j = find("DeleteJob", jobId);
      if (j.state !== "SUCCEED" && j.state !== "FAILED") throw sdkError("DeleteJob", "ResourceInUse.Job", "job still running");
      jobs.delete(jobId);
      return { requestId: "req-delete" };
    },
    async retryJobs(jobIds) {
      record("RetryJobs", { JobIds: jobIds });
      for (const id of jobIds) find("RetryJobs", id).state = "PENDING";
      return { requestId: "req-retry" };
    },
    async getTask(jobId, taskName): Promise<TaskDetail> {
      record("DescribeTask", { JobId: jobId, TaskName: taskName });
      const j = find("DescribeTask", jobId);
      const inst = j.instances[taskName];
      if (!inst) throw sdkError("DescribeTask", "ResourceNotFound.Task", `no task ${taskName}`);
      return {
        JobId: jobId,
        TaskName: taskName,
        TaskState: j.state === "SUBMITTED" ? "PENDING" : j.state,
        CreateTime: null,
        EndTime: null,
        TaskInstanceTotalCount: inst.length,
        TaskInstanceSet: inst.map((i, index) => ({ TaskInstanceIndex: index, TaskInstanceState: i.state, ExitCode: i.exitCode, StateReason: null })),
        TaskInstanceMetrics: null,
        RequestId: "req-task",
      };
    },
    async getTaskLogs(jobId, taskName, q) {
      record("DescribeTaskLogs", { JobId: jobId, TaskName: taskName, ...q });
      const j = find("DescribeTaskLogs", jobId);
      const inst = j.instances[taskName];
      if (!inst) throw sdkError("DescribeTaskLogs", "ResourceNotFound.Task", `no task ${taskName}`);
      const task = j.request.Job.Tasks.find((t) => t.TaskName === taskName);
      const indexes = q.indexes ?? inst.map((_, i) => i).slice(q.offset ?? 0, (q.offset ?? 0) + (q.limit ?? 5));
      const items: TaskInstanceLog[] = indexes.map((index) => ({
        TaskInstanceIndex: index,
        StdoutLog: Buffer.from(inst[index]?.stdout ?? "").toString("base64"),
        StderrLog: Buffer.from(inst[index]?.stderr ?? "").toString("base64"),
        StdoutRedirectPath: task?.RedirectInfo?.StdoutRedirectPath ?? null,
        StderrRedirectPath: task?.RedirectInfo?.StderrRedirectPath ?? null,
        StdoutRedirectFileName: task?.RedirectInfo?.StdoutRedirectFileName ?? null,
        StderrRedirectFileName: task?.RedirectInfo?.StderrRedirectFileName ?? null,
      }));
      return { items, total: q.indexes ? items.length : inst.length };
    },
    createEnv: unused,
    getEnv: unused,
    getEnvCreateInfo: unused,
    listEnvs: unused,
    setDesiredNodes: unused,
    renameEnv: unused,
    deleteEnv: unused,
    terminateNodes: unused,
    listEnvActivities: unused,
  };
  return {
    port,
    jobs,
    calls,
    /** The next port call (of `action`, if given) fails with this error, e.g. throttling after the adapter's retries. */
    failNextWith(error: Error, action?: string) {
      failNext = { error, action };
    },
    forgetTags(jobId: string) {
      const j = jobs.get(jobId);
      if (j) j.tags = [];
    },
  };
}

async function unused(): Promise<never> {
  throw new Error("not used by the jobs function");
}
