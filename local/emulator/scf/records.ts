// What the emulator knows about SCF functions: one record per region + namespace + name,
// triggers inside it. Times are epoch milliseconds; the wire format is made in ./views.

export type ScfStatus = "Creating" | "Active" | "Updating" | "CreateFailed" | "UpdateFailed" | "Deleting";

/** GetFunction's StatusReasons entry. */
export interface ScfFailure {
  ErrorCode: string;
  ErrorMessage: string;
}

export interface ScfTriggerRecord {
  type: string;
  name: string;
  /** As stored and returned (an http trigger's gets NetConfig.ExtranetUrl added). */
  desc: string;
  enable: 0 | 1;
  customArgument: string;
  qualifier: string;
  description: string;
  addedAt: number;
  modifiedAt: number;
}

export interface ScfFunctionRecord {
  region: string;
  namespace: string;
  name: string;
  functionId: string;
  runtime: string;
  handler: string;
  memorySize: number;
  timeout: number;
  role: string;
  description: string;
  type: "Event" | "HTTP";
  environment: Array<{ Key: string; Value: string }>;
  /** CreateFunction's Tags (set at creation only: the emulator has no tag actions). */
  tags: Array<{ Key: string; Value: string }>;
  /** Lower-case hex sha256 of the decoded zip; the zip itself is not kept. */
  codeSha256: string;
  codeSize: number;
  status: ScfStatus;
  /** When `status` was entered: Creating/Updating end `timings.scfCreateMs`/`scfUpdateMs` later. */
  statusSince: number;
  statusReasons: ScfFailure[];
  /** A fail-next hook taken by the change in progress: it ends in CreateFailed/UpdateFailed with this. */
  pendingFailure?: ScfFailure | undefined;
  /** With pendingFailure on an update: what the function was before it, restored on UpdateFailed. */
  revertTo?: ScfRevertible | undefined;
  addedAt: number;
  modifiedAt: number;
  triggers: ScfTriggerRecord[];
}

/** What an update changes, and a failed update gives back. */
export const SCF_REVERTIBLE = ["runtime", "handler", "memorySize", "timeout", "role", "description", "environment", "codeSha256", "codeSize"] as const;
export type ScfRevertible = Pick<ScfFunctionRecord, (typeof SCF_REVERTIBLE)[number]>;

export type ScfPhase = "create" | "update";

/** Test hook: the next create/update of this function fails (one-shot). */
export interface ScfFailNextRecord {
  region: string;
  namespace: string;
  name: string;
  phase: ScfPhase;
  failure: ScfFailure;
}

export interface ScfFunctionRef {
  region: string;
  namespace: string;
  name: string;
}

export const scfFunctionKey = (r: ScfFunctionRef): string => `${r.region}/${r.namespace}/${r.name}`;
export const scfFailNextKey = (r: ScfFunctionRef & { phase: ScfPhase }): string => `${scfFunctionKey(r)}/${r.phase}`;
