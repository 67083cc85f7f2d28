// What every emulator action and engine tick receives.
import { randomBytes } from "node:crypto";
import { formatBatchTime } from "../../shared/schemas/batch-time";
import type { NotificationConfig } from "./state";
import type { Store } from "./store";

/** An error the API answers with `{"Response":{"Error":{Code,Message},RequestId}}`. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export interface EmulatorTimings {
  /** SUBMITTED → CREATING. */
  nodeSubmitMs: number;
  /** CREATING → CREATED (or CREATION_FAILED). */
  nodeCreateMs: number;
  /** CREATED → RUNNING (agent up). */
  nodeStartMs: number;
  /** DELETING → gone. */
  nodeDeleteMs: number;
  /** An ABNORMAL node is recreated by Batch after this long (ActionIfComputeNodeInactive=RECREATE). */
  abnormalRecreateMs: number;
  /** Anonymous (per-task MANAGED) nodes: time from request to RUNNING. */
  anonymousNodeMs: number;
  /** Engine tick. */
  tickMs: number;
  /** SCF CreateFunction: Creating → Active (or CreateFailed). */
  scfCreateMs: number;
  /** SCF UpdateFunctionCode/UpdateFunctionConfiguration: Updating → Active (or UpdateFailed). */
  scfUpdateMs: number;
}

export const DEFAULT_TIMINGS: EmulatorTimings = {
  nodeSubmitMs: 200,
  nodeCreateMs: 800,
  nodeStartMs: 500,
  nodeDeleteMs: 500,
  abnormalRecreateMs: 10 * 60_000,
  anonymousNodeMs: 300,
  tickMs: 100,
  scfCreateMs: 300,
  scfUpdateMs: 200,
};

export interface BatchEvent {
  EventVersion: "1.0";
  EventTime: string;
  Region: string;
  EventName: string;
  EventVars: Array<{ Name: string; Value: string }>;
  Batch: Record<string, unknown>;
}

/** Receives every message the emulator publishes to a topic (the local topic bus). */
export type Publish = (topicName: string, msgBody: string) => void;

export interface EmuContext {
  store: Store;
  now(): number;
  timings: EmulatorTimings;
  /** Region of the request being served (X-TC-Region), or the default region in ticks. */
  region: string;
  /** Where task output mapped from cos:// and cfs:// goes (see ./storage). */
  dataDir: string;
  /** Run task commands as local processes (EMULATOR_EXEC=on) or complete them instantly. */
  exec: boolean;
  ids: { next(prefix: string): string };
  /** Publishes `event` to every topic in `notifications` configured for `eventName`. */
  notify(notifications: NotificationConfig[], eventName: string, region: string, batch: Record<string, unknown>): void;
}

const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/**
 * A new id not yet in `taken` (one map for every region: envs, jobs).
 * EMULATOR ASSUMPTION: whether Batch's job and env ids are unique across regions is not documented.
 * Its API pages make Region a required parameter in the CN docs (cloud.tencent.com 599/15904,
 * 599/15909) but "not required" for DescribeJob(s) in the international ones (tencentcloud.com
 * 599/30561, 599/30557), and Tencent calls its regions "completely isolated" (460/8458); no page
 * says an id names one job account-wide. The emulator draws ids at random (8 of [a-z0-9], as Batch
 * shows them) and never gives one that any region already holds, so every id names one resource
 * account-wide here; state stays per region (an id of another region is ResourceNotFound, a
 * ClientToken is per region). The functions do not rely on it: a job id found in two regions is a
 * 409 asking for ?region= (functions/jobs/service.ts).
 */
export function uniqueId(ctx: EmuContext, prefix: string, taken: ReadonlyMap<string, unknown>): string {
  let id = ctx.ids.next(prefix);
  while (taken.has(id)) id = ctx.ids.next(prefix);
  return id;
}

export function createIds(): { next(prefix: string): string } {
  return {
    next(prefix) {
      const bytes = randomBytes(8);
      let s = "";
      for (const b of bytes) s += ALPHABET[b % ALPHABET.length];
      return `${prefix}-${s}`;
    },
  };
}

export function makeNotifier(publish: Publish, now: () => number): EmuContext["notify"] {
  return (notifications, eventName, region, batch) => {
    for (const n of notifications) {
      const cfg = n.EventConfigs.find((c) => c.EventName === eventName);
      if (!cfg) continue;
      const event: BatchEvent = {
        EventVersion: "1.0",
        EventTime: formatBatchTime(now()),
        Region: region,
        EventName: eventName,
        EventVars: cfg.EventVars ?? [],
        Batch: batch,
      };
      publish(n.TopicName, JSON.stringify({ Events: [event] }));
    }
  };
}

/** A module of the emulator: its actions, its periodic work and its test routes. */
export interface EmulatorModule {
  actions: Record<string, (ctx: EmuContext, req: Record<string, unknown>) => Record<string, unknown>>;
  /** Advances time-driven state (node lifecycle, scheduling). Must be cheap when idle. */
  tick?(ctx: EmuContext): void;
  /** Test-and-demo routes under /_emulator/, e.g. `POST /_emulator/nodes/:nodeId/abnormal`. */
  testRoutes?: TestRoute[];
  /** Called once at start, after state is loaded (e.g. re-queue instances that were running). */
  recover?(ctx: EmuContext): void;
  /** Called on close (kill child processes). `ctx` tells which emulator closes when several share a process. */
  close?(ctx: EmuContext): void;
}

export interface TestRoute {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Path under /_emulator with `:param` segments. */
  path: string;
  handle(ctx: EmuContext, params: Record<string, string>, body: unknown): unknown;
}
