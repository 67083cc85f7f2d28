// The jobs API over the Batch port: each operation validates, checks preconditions (pure
// modules), then makes the fewest Batch calls it can.
import type { JobDetail, TaskDetail } from "../../shared/batch/models";
import { idRegions, listAcross, listedRegions, type Located as LocatedIn } from "../../shared/batch/across-regions";
import type { BatchRegions } from "../../shared/batch/regions";
import type { JobsBatch } from "./batch";
import { AppError, type FieldIssue } from "../../shared/errors";
import { type Idempotency, idempotencyFor, isTokenConflict, keyReused, replayOf, tokenFilter } from "../../shared/idempotency";
import { type Principal, requireOwner } from "../../shared/http/auth";
import { keyedQueue } from "../../shared/keyed-queue";
import type { Logger } from "../../shared/log";
import { parseBatchTime } from "../../shared/schemas/batch-time";
import { maskSecrets } from "../../shared/schemas/masking";
import { regionOfZone } from "../../shared/schemas/zone";
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
  /** The served regions (BATCH_REGIONS) and their Batch ports. */
  regions: BatchRegions<JobsBatch>;
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
  | { kind: "dry-run"; region: string; request: Record<string, unknown>; warnings: FieldIssue[] }
  | { kind: "submitted"; region: string; jobId: string; requestId?: string; replayed: boolean; warnings: FieldIssue[] };

/** Where a job lives: its region's port, and the job itself when finding it read it just now. */
type Located = LocatedIn<JobDetail, JobsBatch>;

const createdAt = (j: { CreateTime?: string | null | undefined }) => parseBatchTime(j.CreateTime) ?? Number.NEGATIVE_INFINITY;

export function createJobsService(deps: JobsDeps) {
  const { regions } = deps;
  const served = regions.names;
  const writes = keyedQueue();
  /** Job id → region (shared/batch/across-regions.ts): ?region=, remembered, else DescribeJob in every served region. */
  const ids = idRegions(regions, "job", (batch, jobId) => batch.getJob(jobId), "ResourceNotFound.Job");
  const { remember } = ids;
  const onJob = ids.on;

  /** The job's task when it has exactly one; otherwise ?task= is required (400 naming the tasks). */
  async function onlyTask({ batch, read }: Located, jobId: string): Promise<string> {
    const job = read ?? (await batch.getJob(jobId));
    const names = job.TaskSet.map((t) => t.TaskName);
    if (names.length !== 1)
      throw new AppError("validation_failed", `job ${jobId} has ${names.length} tasks; name one with ?task= (${names.join(", ")})`, {
        status: 400,
        issues: [{ path: "query.task", message: `is required: the job has tasks ${names.join(", ")}` }],
      });
    return names[0]!;
  }

  /** The job, after checking the caller may change it (its submitter, or a jobs:admin key); `read`: a read made just now. */
  async function ownJob(batch: JobsBatch, jobId: string, caller: Principal, read?: JobDetail) {
    const job = read ?? (await batch.getJob(jobId));
    requireOwner(caller, submitterOf(job.Tags), ADMIN_SCOPE, `job ${jobId}`);
    return job;
  }

  /**
   * Long-poll: reads the job (DescribeJob only) until it is in one of `states` or `timeoutMs` has
   * passed, waiting 1, 2, 4, then 5 s between reads (WAIT_BACKOFF_MS): a 25 s wait costs at most 8
   * reads, and identical waits in one instance share each read (single-flight). The last read is
   * at the deadline, so the answer is never older than the wait.
   */
  async function waitForState(batch: JobsBatch, jobId: string, first: JobDetail, states: readonly string[], timeoutMs: number) {
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

  /**
   * The job an earlier request with this token created, in any served region (a retry with the
   * same key and another zone is another request: 409), after checking it was the same request.
   */
  async function priorJob(idem: Idempotency): Promise<{ id: string; region: string } | undefined> {
    const pages = await Promise.all(served.map((r) => regions.port(r).listJobs({ filters: [tokenFilter(idem)], limit: 1 })));
    const i = pages.findIndex((p) => p.items.length > 0);
    const prior = pages[i]?.items[0];
    if (!prior) return undefined;
    const region = served[i]!;
    const tags = prior.Tags ?? (await regions.port(region).getJob(prior.JobId)).Tags ?? [];
    const id = replayOf("job", idem, { id: prior.JobId, tags });
    return id ? { id, region } : undefined;
  }

  async function logsOf(at: Located, jobId: string, q: { task?: string | undefined; index?: number | undefined; offset?: number | undefined }) {
    const { batch } = at;
    const task = q.task || (await onlyTask(at, jobId));
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
  }

  /** Terminate or delete: the caller's own job (ownJob), in a state that allows it (`check`), then `send`. */
  function act<A extends "terminate" | "delete">(action: A, check: (job: JobDetail) => void, send: (batch: JobsBatch, jobId: string) => Promise<{ requestId: string }>) {
    return (jobId: string, caller: Principal, region?: string) =>
      onJob(jobId, region, async ({ region, batch, read }) => {
        const job = await ownJob(batch, jobId, caller, read);
        check(job);
        const r = await send(batch, jobId);
        return { JobId: jobId, Action: action, Region: region, PreviousState: job.JobState, RequestId: r.requestId };
      });
  }

  return {
    async submit(input: SubmitInput): Promise<SubmitOutcome> {
      const { body, warnings } = input;
      const idem = idempotencyFor(input.submitter, input.idempotencyKey, body);
      const request = buildSubmitRequest(body, input.submitter, idem, deps.notifyTopic);
      // The route's rules refused a zone of a region not served (zoneNotServed).
      const region = regionOfZone(body.Placement.Zone);
      if (input.dryRun) return { kind: "dry-run", region, request: maskSecrets(request) as unknown as Record<string, unknown>, warnings };

      if (idem) {
        const prior = await priorJob(idem);
        if (prior) {
          input.log?.info("idempotent replay", { job_id: prior.id, region: prior.region });
          return { kind: "submitted", region: prior.region, jobId: prior.id, replayed: true, warnings };
        }
      }
      try {
        const r = await regions.port(region).submitJob(request);
        remember(r.jobId, region);
        input.log?.info("job submitted", { job_id: r.jobId, region, batch_request_id: r.requestId, idempotent: !!idem });
        return { kind: "submitted", region, jobId: r.jobId, requestId: r.requestId, replayed: false, warnings };
      } catch (e) {
        if (idem && isTokenConflict(e)) throw keyReused("job", undefined, e);
        throw e;
      }
    },

    async get(
      jobId: string,
      opts: { instances: boolean; waitFor?: readonly string[] | undefined; timeoutSeconds?: number | undefined; region?: string | undefined },
    ) {
      return onJob(jobId, opts.region, async ({ region, batch, read }) => {
        let job = read ?? (await batch.getJob(jobId));
        let wait: { For: string[]; Reached: boolean; Seconds: number; Reads: number } | undefined;
        if (opts.waitFor?.length) {
          const r = await waitForState(batch, jobId, job, opts.waitFor, (opts.timeoutSeconds ?? WAIT_MAX_SECONDS) * 1000);
          job = r.job;
          wait = { For: [...opts.waitFor], Reached: r.reached, Seconds: r.seconds, Reads: r.reads };
        }
        let tasks: Map<string, TaskDetail> | undefined;
        if (opts.instances) {
          const details = await Promise.all(job.TaskSet.map((t) => batch.getTask(jobId, t.TaskName, { limit: INSTANCE_PAGE_MAX })));
          tasks = new Map(details.map((d) => [d.TaskName, d]));
        }
        return { ...jobView(job, tasks, region), ...(wait ? { Wait: wait } : {}) };
      });
    },

    /**
     * One region (the only one served, `?region=`, or the region of `?zone=`): DescribeJobs at
     * `offset` (or the cursor's), as with one region always. Several: DescribeJobs in each at the
     * cursor's offsets, merged newest first (mergeNewestFirst); the cursor carries, per region, how
     * many of its jobs the pages so far showed. `offset` is refused there: no single number says where
     * each region's next job is.
     */
    async list(q: ListQuery & { offset?: number | undefined; limit?: number | undefined; region?: string | undefined; cursor?: string | undefined }) {
      const limit = q.limit ?? 20;
      const filters = listFilters(q);
      const page = await listAcross(
        listedRegions(served, q.region, q.zone ? [q.zone] : undefined),
        { cursor: q.cursor, offset: q.offset, limit },
        (r, offset, limit) => regions.port(r).listJobs({ ...(filters.length ? { filters } : {}), offset, limit }),
        createdAt,
      );
      return {
        Jobs: page.items.map(({ item, region }) => {
          remember(item.JobId, region);
          return listItemView(item, region);
        }),
        TotalCount: page.total,
        Offset: page.offset,
        Limit: limit,
        NextOffset: page.nextOffset,
        NextCursor: page.nextCursor,
      };
    },

    terminate: act("terminate", checkTerminable, (batch, jobId) => batch.terminateJob(jobId)),
    remove: act("delete", checkDeletable, (batch, jobId) => batch.deleteJob(jobId)),

    /** `receivedAt`: when the request arrived; only a failure that ended before it is retried (checkRetryable). */
    async retry(jobId: string, caller: Principal, receivedAt: number, region?: string) {
      // One retry of a job at a time in this instance: the next reads the job after this one's RetryJobs
      // (so never the read that found the job's region, which may predate it).
      return onJob(jobId, region, ({ region, batch }) =>
        writes.run(jobId, async () => {
          const job = await ownJob(batch, jobId, caller);
          checkRetryable(job, receivedAt);
          const r = await batch.retryJobs([jobId]);
          return { JobId: jobId, Action: "retry" as const, Region: region, PreviousState: job.JobState, RequestId: r.requestId };
        }),
      );
    },

    async instances(jobId: string, q: { task?: string | undefined; offset?: number | undefined; limit?: number | undefined; region?: string | undefined }) {
      return onJob(jobId, q.region, async (at) => {
        const task = q.task || (await onlyTask(at, jobId));
        const offset = q.offset ?? 0;
        const limit = q.limit ?? 100;
        return instancesView(jobId, await at.batch.getTask(jobId, task, { offset, limit }), offset, limit);
      });
    },

    async logs(jobId: string, q: { task?: string | undefined; index?: number | undefined; offset?: number | undefined; region?: string | undefined }) {
      return onJob(jobId, q.region, (at) => logsOf(at, jobId, q));
    },
  };
}

export type JobsService = ReturnType<typeof createJobsService>;
