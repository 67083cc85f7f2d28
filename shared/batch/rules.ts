// Product rules of Tencent Cloud Batch (../shared/batch-facts.md), as data and pure checks.
// Used by the functions' validation and by the local emulator alike, so both agree.

export interface InstanceTypeSpec {
  cpu: number;
  memGiB: number;
  /** Batch compute (BS1) types are sold only in BS1_ZONES. */
  bs1: boolean;
}

/** Instance types the project knows (vCPU, memory). BS1 from the product page; S-types from CVM. */
export const INSTANCE_TYPES: Readonly<Record<string, InstanceTypeSpec>> = {
  "BS1.LARGE8": { cpu: 4, memGiB: 8, bs1: true },
  "BS1.LARGE24": { cpu: 12, memGiB: 24, bs1: true },
  "BS1.LARGE48": { cpu: 24, memGiB: 48, bs1: true },
  "S1.SMALL1": { cpu: 1, memGiB: 1, bs1: false },
  "S1.SMALL2": { cpu: 1, memGiB: 2, bs1: false },
  "S1.MEDIUM4": { cpu: 2, memGiB: 4, bs1: false },
  "S1.LARGE8": { cpu: 4, memGiB: 8, bs1: false },
  "S2.SMALL1": { cpu: 1, memGiB: 1, bs1: false },
  "S2.MEDIUM4": { cpu: 2, memGiB: 4, bs1: false },
  "S2.LARGE8": { cpu: 4, memGiB: 8, bs1: false },
  "S3.MEDIUM4": { cpu: 2, memGiB: 4, bs1: false },
  "S3.LARGE8": { cpu: 4, memGiB: 8, bs1: false },
  "S5.SMALL2": { cpu: 1, memGiB: 2, bs1: false },
  "S5.MEDIUM4": { cpu: 2, memGiB: 4, bs1: false },
  "S5.LARGE8": { cpu: 4, memGiB: 8, bs1: false },
  "S5.2XLARGE16": { cpu: 8, memGiB: 16, bs1: false },
};

export const BS1_ZONES = ["ap-guangzhou-2", "ap-shanghai-1"] as const;

/** Images known to ship cloud-init (Batch initialises nodes with it). */
export const CLOUD_INIT_IMAGES: Readonly<Record<string, string>> = {
  "img-31tjrtph": "CentOS 7.2 64-bit",
  "img-er9shcln": "Windows Server 2012 R2 Standard 64-bit (Chinese)",
  "img-pyqx34y1": "Ubuntu Server 16.04.1 LTS 64-bit",
};

export const IMAGE_ID = /^img-[a-z0-9]{8}$/;
export const ENV_ID = /^env-[a-z0-9]{8}$/;
export const JOB_ID = /^job-[a-z0-9]{8}$/;
export const NODE_ID = /^node-[a-z0-9]{8}$/;

export const JOB_EVENTS = [
  "JOB_RUNNING",
  "JOB_SUCCEED",
  "JOB_FAILED",
  "JOB_FAILED_INTERRUPTED",
  "TASK_RUNNING",
  "TASK_SUCCEED",
  "TASK_FAILED",
  "TASK_FAILED_INTERRUPTED",
  "TASK_INSTANCE_RUNNING",
  "TASK_INSTANCE_SUCCEED",
  "TASK_INSTANCE_FAILED",
  "TASK_INSTANCE_FAILED_INTERRUPTED",
] as const;
export const ENV_EVENTS = ["COMPUTE_ENV_CREATED", "COMPUTE_ENV_DELETED"] as const;
export const NODE_EVENTS = [
  "COMPUTE_NODE_CREATED",
  "COMPUTE_NODE_CREATION_FAILED",
  "COMPUTE_NODE_RUNNING",
  "COMPUTE_NODE_ABNORMAL",
  "COMPUTE_NODE_DELETING",
] as const;
export type EventName = (typeof JOB_EVENTS)[number] | (typeof ENV_EVENTS)[number] | (typeof NODE_EVENTS)[number];
export const SUBMIT_JOB_EVENTS: readonly EventName[] = [...JOB_EVENTS, ...NODE_EVENTS];
export const CREATE_ENV_EVENTS: readonly EventName[] = [...ENV_EVENTS, ...NODE_EVENTS];
const ALL_EVENTS = new Set<string>([...JOB_EVENTS, ...ENV_EVENTS, ...NODE_EVENTS]);

/**
 * Accepts both spellings the docs use (`JOB_FAILED`, `JobFailed`, `jobFailed`, `job_failed`)
 * and returns the upper-case name events carry, or undefined when it is no event name.
 */
export function normalizeEventName(name: string): EventName | undefined {
  const trimmed = name.trim();
  const upper = /[a-z][A-Z]/.test(trimmed)
    ? trimmed.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()
    : trimmed.toUpperCase();
  // The guide's example says "JobSucceed"; events say JOB_SUCCEED.
  return ALL_EVENTS.has(upper) ? (upper as EventName) : undefined;
}

/** Region of a zone: `ap-guangzhou-2` → `ap-guangzhou`. */
export function regionOfZone(zone: string): string {
  return zone.replace(/-\d+$/, "");
}

export type PathCheck = { ok: true } | { ok: false; rule: string };

const COS_XML = /^cos:\/\/([a-z0-9][a-z0-9-]*)-(\d+)\.cos\.([a-z]+-[a-z]+(?:-[a-z]+)?(?:-\d+)?)\.myqcloud\.com\/(.*)$/;
const COS_JSON_DOMAIN = /^cos:\/\/[^/]+\.cos[a-z]+\.myqcloud\.com\//;

export interface CosPath {
  bucket: string;
  appId: string;
  region: string;
  key: string;
}

export function parseCosPath(path: string): CosPath | undefined {
  const m = COS_XML.exec(path);
  if (!m) return undefined;
  return { bucket: m[1]!, appId: m[2]!, region: m[3]!, key: m[4]! };
}

/** COS: `cos://<bucket>-<appid>.cos.<region>.myqcloud.com/<dir>/`, XML-API domain only, same region as the job. */
export function checkCosPath(path: string, jobRegion?: string): PathCheck {
  if (!path.startsWith("cos://")) return { ok: false, rule: "COS paths start with cos://" };
  if (COS_JSON_DOMAIN.test(path))
    return { ok: false, rule: "COS paths use the XML-API domain <bucket>-<appid>.cos.<region>.myqcloud.com, not the JSON-API domain" };
  const p = parseCosPath(path);
  if (!p) return { ok: false, rule: "COS paths look like cos://<bucket>-<appid>.cos.<region>.myqcloud.com/<dir>/" };
  if (!path.endsWith("/")) return { ok: false, rule: "COS paths end with /" };
  if (p.key.split("/").some((seg) => seg === ".." || seg === ".")) return { ok: false, rule: "COS paths may not contain . or .. segments" };
  // COS names some regions with a zone-like suffix (ap-beijing-1 is in ap-beijing).
  if (jobRegion && regionOfZone(p.region) !== regionOfZone(jobRegion))
    return { ok: false, rule: `the bucket's region ${p.region} must equal the job's region ${jobRegion}` };
  return { ok: true };
}

const CFS = /^(cfs|nfs):\/\/([0-9]{1,3}(?:\.[0-9]{1,3}){3}|[a-z0-9.-]+)(\/.*)$/i;

/** CFS / NAS: `cfs://<ip>/` or `nfs://<ip>/…/`, ending with `/`. */
export function checkCfsPath(path: string): PathCheck {
  const m = CFS.exec(path);
  if (!m) return { ok: false, rule: "CFS/NAS paths look like cfs://<ip>/ or nfs://<ip>/" };
  if (!path.endsWith("/")) return { ok: false, rule: "CFS/NAS paths end with /" };
  if (m[3]!.split("/").some((seg) => seg === ".." || seg === ".")) return { ok: false, rule: "CFS/NAS paths may not contain . or .. segments" };
  return { ok: true };
}

/** Any remote storage path (COS, CFS or NFS). */
export function checkRemotePath(path: string, jobRegion?: string): PathCheck {
  if (path.startsWith("cos://")) return checkCosPath(path, jobRegion);
  if (/^(cfs|nfs):\/\//i.test(path)) return checkCfsPath(path);
  return { ok: false, rule: "remote paths start with cos://, cfs:// or nfs://" };
}

/** Where an instance type may run; undefined when it may. */
export function checkInstanceZone(instanceType: string, zone: string): string | undefined {
  const spec = INSTANCE_TYPES[instanceType];
  if (!spec) return `unknown instance type ${instanceType}; known: ${Object.keys(INSTANCE_TYPES).join(", ")}`;
  if (spec.bs1 && !(BS1_ZONES as readonly string[]).includes(zone))
    return `${instanceType} (BS1) is sold only in ${BS1_ZONES.join(" and ")}, not ${zone}`;
  return undefined;
}

export const LIMITS = {
  jobName: 60,
  jobDescription: 200,
  taskName: 60,
  envName: 60,
  envDescription: 200,
  tags: 10,
  priorityMin: 0,
  priorityMax: 100,
  clientToken: 64,
  desiredNodesMax: 2000,
  pageLimit: 100,
  topicName: 64,
} as const;
