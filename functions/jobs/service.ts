// The jobs API over the Batch port: each operation validates, checks preconditions (pure
// modules), then makes the fewest Batch calls it can.
import type { JobDetail, TaskDetail } from "../../shared/batch/models";
import type { BatchPort } from "../../shared/batch/port";
import { AppError, type FieldIssue } from "../../shared/errors";
import { type Idempotency, idempotencyFor, isTokenConflict, keyReused, replayOf, tokenFilter } from "../../shared/idempotency";
import { type Principal, requireOwner } from "../../shared/http/auth";
import { keyedQueue } from "../../shared/keyed-queue";
import type { Logger } from "../../shared/log";
import { maskSecrets } from "../../shared/schemas/masking";
import { INSTANCE_PAGE_MAX, type SubmitJobBody, WAIT_MAX_SECONDS } from "./schemas";

/** Waits between a long-poll's reads, ms: then the last again. */
const WAIT_BACKOFF_MS = [1000, 2000, 4000, 5000];
import { buildSubmitRequest } from "./submit";
import {
  checkDeletable,
  checkRetryable,
  checkTerminable,
  type ListQuery,
  instancesView,
  jobView,
  listFilters,
  listItemView,
  logsView,
  type RedirectFallback,
  submitterOf,
} from "./views";

/** The scope that may change any caller's jobs. */
export const ADMIN_SCOPE = "jobs:admin";

export interface JobsDeps {
  batch: BatchPort;
  /** JOB_EVENTS_TOPIC: the topic a Notify subscribes the job to. */
  notifyTopic?: string | undefined;
}

export interface SubmitInput {
  /** A body the route checked (shape and submitRules), with what the rules warned about. */
  body: SubmitJobBody;
  warnings: FieldIssue[];
  submitter: string;
  /** The checked idempotency key (header or body ClientToken). */
  idempotencyKey: string | undefined;
  dryRun: boolean;
  log?: Logger;
}

export type SubmitOutcome =
  | { kind: "dry-run"; request: Record<string, unknown>; warnings: FieldIssue[] }
  | { kind: "submitted"; jobId: string; requestId?: string; replayed: boolean; warnings: FieldIssue[] };

export function createJobsService(deps: JobsDeps) {
  const { batch } = deps;
  const writes = keyedQueue();

  /** The job's task when it has exactly one; otherwise ?task= is required (400 naming the tasks). */
  async function onlyTask(jobId: string): Promise<string> {
    const job = await batch.getJob(jobId);
    const names = job.TaskSet.map((t) => t.TaskName);
    if (names.length !== 1)
      throw new AppError("validation_failed", `job ${jobId} has ${names.length} tasks; name one with ?task= (${names.join(", ")})`, {
        status: 400,
        issues: [{ path: "query.task", message: `is required: the job has tasks ${names.join(", ")}` }],
      });
    return names[0]!;
  }

  /** The job, after checking the caller may change it (its submitter, or a jobs:admin key). */
  async function ownJob(jobId: string, caller: Principal) {
    const job = await batch.getJob(jobId);
    requireOwner(caller, submitterOf(job.Tags), ADMIN_SCOPE, `job ${jobId}`);
    return job;
  }

  /**
   * Long-poll: reads the job (DescribeJob only) until it is in one of `states` or `timeoutMs` has
   * passed, waiting 1, 2, 4, then 5 s between reads (WAIT_BACKOFF_MS): a 25 s wait costs at most 8
   * reads, and identical waits in one instance share each read (single-flight). The last read is
   * at the deadline, so the answer is never older than the wait.
   */
  async function waitForState(jobId: string, first: JobDetail, states: readonly string[], timeoutMs: number) {
    const started = Date.now();
    let job = first;
    let reads = 1;
    for (let i = 0; !states.includes(job.JobState); i++) {
      const left = started + timeoutMs - Date.now();
      if (left <= 0) break;
      await new Promise((r) => setTimeout(r, Math.min(WAIT_BACKOFF_MS[Math.min(i, WAIT_BACKOFF_MS.length - 1)]!, left)));
      job = await batch.getJob(jobId);
      reads++;
    }
    return { job, reached: states.includes(job.JobState), seconds: Math.round((Date.now() - started) / 100) / 10, reads };
  }

  /** The job an earlier request with this token created, after checking it was the same request. */
  async function priorJob(idem: Idempotency): Promise<string | undefined> {
    const prior = (await batch.listJobs({ filters: [tokenFilter(idem)], limit: 1 })).items[0];
    const tags = prior && (prior.Tags ?? (await batch.getJob(prior.JobId)).Tags ?? []);
    return replayOf("job", idem, prior && tags ? { id: prior.JobId, tags } : undefined);
  }

  return {
    async submit(input: SubmitInput): Promise<SubmitOutcome> {
      const { body, warnings } = input;
      const idem = idempotencyFor(input.submitter, input.idempotencyKey, body);
      const request = buildSubmitRequest(body, input.submitter, idem, deps.notifyTopic);
      if (input.dryRun) return { kind: "dry-run", request: maskSecrets(request) as unknown as Record<string, unknown>, warnings };

      if (idem) {
        const prior = await priorJob(idem);
        if (prior) {
          input.log?.info("idempotent replay", { job_id: prior });
          return { kind: "submitted", jobId: prior, replayed: true, warnings };
        }
      }
      try {
        const r = await batch.submitJob(request);
        input.log?.info("job submitted", { job_id: r.jobId, batch_request_id: r.requestId, idempotent: !!idem });
        return { kind: "submitted", jobId: r.jobId, requestId: r.requestId, replayed: false, warnings };
      } catch (e) {
        if (idem && isTokenConflict(e)) throw keyReused("job", undefined, e);
        throw e;
      }
    },

    async get(jobId: string, opts: { instances: boolean; waitFor?: readonly string[] | undefined; timeoutSeconds?: number | undefined }) {
      let job = await batch.getJob(jobId);
      let wait: { For: string[]; Reached: boolean; Seconds: number; Reads: number } | undefined;
      if (opts.waitFor?.length) {
        const r = await waitForState(jobId, job, opts.waitFor, (opts.timeoutSeconds ?? WAIT_MAX_SECONDS) * 1000);
        job = r.job;
        wait = { For: [...opts.waitFor], Reached: r.reached, Seconds: r.seconds, Reads: r.reads };
      }
      let tasks: Map<string, TaskDetail> | undefined;
      if (opts.instances) {
        const details = await Promise.all(job.TaskSet.map((t) => batch.getTask(jobId, t.TaskName, { limit: INSTANCE_PAGE_MAX })));
        tasks = new Map(details.map((d) => [d.TaskName, d]));
      }
      return { ...jobView(job, tasks), ...(wait ? { Wait: wait } : {}) };
    },

    async list(q: ListQuery & { offset?: number | undefined; limit?: number | undefined }) {
      const offset = q.offset ?? 0;
      const limit = q.limit ?? 20;
      const filters = listFilters(q);
      const page = await batch.listJobs({ ...(filters.length ? { filters } : {}), offset, limit });
      return {
        Jobs: page.items.map(listItemView),
        TotalCount: page.total,
        Offset: offset,
        Limit: limit,
        NextOffset: offset + page.items.length < page.total && page.items.length > 0 ? offset + page.items.length : null,
      };
    },

    async terminate(jobId: string, caller: Principal) {
      const job = await ownJob(jobId, caller);
      checkTerminable(job);
      const r = await batch.terminateJob(jobId);
      return { JobId: jobId, Action: "terminate" as const, PreviousState: job.JobState, RequestId: r.requestId };
    },

    async remove(jobId: string, caller: Principal) {
      const job = await ownJob(jobId, caller);
      checkDeletable(job);
      const r = await batch.deleteJob(jobId);
      return { JobId: jobId, Action: "delete" as const, PreviousState: job.JobState, RequestId: r.requestId };
    },

    /** `receivedAt`: when the request arrived; only a failure that ended before it is retried (checkRetryable). */
    async retry(jobId: string, caller: Principal, receivedAt: number) {
      // One retry of a job at a time in this instance: the next reads the job after this one's RetryJobs.
      return writes.run(jobId, async () => {
        const job = await ownJob(jobId, caller);
        checkRetryable(job, receivedAt);
        const r = await batch.retryJobs([jobId]);
        return { JobId: jobId, Action: "retry" as const, PreviousState: job.JobState, RequestId: r.requestId };
      });
    },

    async instances(jobId: string, q: { task?: string | undefined; offset?: number | undefined; limit?: number | undefined }) {
      const task = q.task || (await onlyTask(jobId));
      const offset = q.offset ?? 0;
      const limit = q.limit ?? 100;
      return instancesView(jobId, await batch.getTask(jobId, task, { offset, limit }), offset, limit);
    },

    async logs(jobId: string, q: { task?: string | undefined; index?: number | undefined; offset?: number | undefined }) {
      const task = q.task || (await onlyTask(jobId));
      const page = await batch.getTaskLogs(
        jobId,
        task,
        q.index !== undefined ? { indexes: [q.index] } : { offset: q.offset ?? 0, limit: 10 },
      );
      let fallback: RedirectFallback | undefined;
      if (page.items.length > 0 && page.items.every((l) => !l.StdoutRedirectPath && !l.StderrRedirectPath)) {
        const info = await batch.getJobSubmitInfo(jobId);
        fallback = info.Tasks?.find((t) => t.TaskName === task)?.RedirectInfo ?? undefined;
      }
      return logsView(jobId, task, page.total, page.items, fallback);
    },
  };
}

export type JobsService = ReturnType<typeof createJobsService>;
