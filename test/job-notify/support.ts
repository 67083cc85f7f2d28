// What the job-notify tests share: a job as DescribeJob answers it (with the tags POST /jobs
// writes), Batch's job event message, and job-notify's handler over an in-memory Batch read, a
// real delivery (HTTP to a receiver on 127.0.0.1) and a fake clock.
import type { JobDetail } from "../../shared/batch/models";
import { AppError } from "../../shared/errors";
import { memoryLogger } from "../../shared/log";
import { parseCmqPush } from "../../shared/triggers/cmq-push";
import { makeDeliver, type DeliverDeps } from "../../functions/job-notify/deliver";
import { DELIVERY_RETRY } from "../../functions/job-notify/entry";
import { type DeadLetter, makeHandler } from "../../functions/job-notify/handler";
import { cmqPushBody } from "../../local/stack/events";

export const MASTER = "0123456789abcdef0123456789abcdef";
export const OLD_MASTER = "fedcba9876543210fedcba9876543210";
export const JOB_ID = "job-abcd1234";
export const EVENT_TIME = "2026-11-30T01:02:03Z";

export function jobDetail(tags: Record<string, string>, over: Partial<JobDetail> = {}): JobDetail {
  return {
    JobId: JOB_ID,
    JobName: "render",
    JobState: "SUCCEED",
    StateReason: "",
    TaskSet: [
      { TaskName: "Task1", TaskState: "SUCCEED" },
      { TaskName: "Task2", TaskState: "SUCCEED" },
    ],
    DependenceSet: [],
    Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    RequestId: "req-1",
    ...over,
  } as JobDetail;
}

export const notifyTags = (url: string, events = "JOB_SUCCEED,JOB_FAILED,JOB_FAILED_INTERRUPTED", submitter = "render-app") => ({
  submitter,
  "batch-scf/notify-url": url,
  "batch-scf/notify-events": events,
});

/** Batch's message for one job event (batch-facts §6; the emulator's shape). */
export function eventMessage(name = "JOB_SUCCEED", batch: Record<string, unknown> = {}, time = EVENT_TIME): string {
  return JSON.stringify({
    Events: [{ EventVersion: "1.0", EventTime: time, Region: "ap-guangzhou", EventName: name, EventVars: [], Batch: { JobId: JOB_ID, JobName: "render", JobState: "SUCCEED", ...batch } }],
  });
}

/** The push of `msgBody` as the topic sends it, parsed as the push endpoint parses it. */
export const pushOf = (msgBody: string, msgId = "42") => parseCmqPush(JSON.stringify(cmqPushBody({ topic: "batch-job-events", subscription: "job-notify", msgBody, msgId })));

/** A clock that moves only when the delivery sleeps; the sleeps it was asked for. */
export function fakeClock(start = Date.parse("2026-11-30T01:02:05Z"), onSleep?: (ms: number, n: number) => void | Promise<void>) {
  let t = start;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleeps,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
      await onSleep?.(ms, sleeps.length);
    },
    random: () => 1,
  };
}

export interface Harness {
  handle: ReturnType<typeof makeHandler>;
  logger: ReturnType<typeof memoryLogger>;
  deadLetters: DeadLetter[];
  reads: string[];
  /** The region each read went to. */
  regionsRead: string[];
}

export function harness(
  job: JobDetail | undefined | Error,
  o: Partial<DeliverDeps> & { masters?: string[]; budgetMs?: number; jobsApiUrl?: string; regions?: string[] } = {},
): Harness {
  const logger = memoryLogger({ function: "job-notify" });
  const deadLetters: DeadLetter[] = [];
  const reads: string[] = [];
  const regionsRead: string[] = [];
  const clock = { now: o.now ?? Date.now };
  const destination = o.destination ?? { allowLoopbackHttp: true };
  const handle = makeHandler({
    regions: {
      names: o.regions ?? ["ap-guangzhou"],
      port: (region: string) => ({
        getJob: async (id: string) => {
          reads.push(id);
          regionsRead.push(region);
          if (job instanceof Error) throw job;
          if (!job) throw new AppError("not_found", "no such job", { status: 404 });
          return job;
        },
      }),
    },
    region: "ap-guangzhou",
    logger,
    destination,
    jobsApiUrl: o.jobsApiUrl,
    deliver: makeDeliver({ masters: o.masters ?? [MASTER], destination, retry: DELIVERY_RETRY, ...o }),
    deadLetter: (e) => deadLetters.push(e),
    ...(o.budgetMs !== undefined ? { budgetMs: o.budgetMs } : {}),
    now: clock.now,
  });
  return { handle, logger, deadLetters, reads, regionsRead };
}
