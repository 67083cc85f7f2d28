// Local stand-ins for remote storage: cos:// and cfs:// (or nfs://) paths become folders under
// the data dir, so task output redirected "to COS" lands on disk where tests and people can read it.
//   cos://<bucket>-<appid>.cos.<region>.myqcloud.com/a/b/ → <dataDir>/cos/<bucket>-<appid>/a/b/
//   cfs://<host>/x/ and nfs://<host>/x/                    → <dataDir>/cfs/<host>/x/
// (CFS is mounted over NFS, so both schemes name the same file system.)
import { existsSync, realpathSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { parseCosPath } from "../../shared/schemas/paths";
import { ApiError } from "./context";

const CODE = "InvalidParameterValue.RemoteStoragePath";

function refuse(what: string, rule: string): never {
  throw new ApiError(CODE, `${what}: ${rule}`);
}

/** Rejects what could leave the folder it is joined to: `..`, encoded separators, NUL, backslashes. */
function checkRelative(what: string, rel: string): string[] {
  if (rel.includes("\u0000")) refuse(what, "may not contain NUL");
  if (/%(2f|5c|00|2e)/i.test(rel)) refuse(what, "may not contain encoded separators or dots (%2F, %5C, %2E, %00)");
  if (rel.includes("\\")) refuse(what, "may not contain backslashes");
  const segs = rel.split("/").filter((s) => s !== "");
  for (const s of segs) if (s === ".." || s === ".") refuse(what, "may not contain . or .. segments");
  return segs;
}

function splitRemote(remotePath: string): { root: string; segs: string[] } {
  const what = `remote path ${JSON.stringify(remotePath)}`;
  if (typeof remotePath !== "string" || remotePath === "") refuse("remote path", "is empty");
  if (remotePath.startsWith("cos://")) {
    const p = parseCosPath(remotePath);
    if (!p) refuse(what, "COS paths look like cos://<bucket>-<appid>.cos.<region>.myqcloud.com/<dir>/");
    return { root: `cos/${p.bucket}-${p.appId}`, segs: checkRelative(what, p.key) };
  }
  const m = /^(cfs|nfs):\/\/([^/]+)(\/.*)?$/i.exec(remotePath);
  if (m) {
    const host = m[2]!;
    if (!/^[A-Za-z0-9.-]+$/.test(host) || /^\.+$/.test(host)) refuse(what, "the host must be an IP address or a host name");
    return { root: `cfs/${host.toLowerCase()}`, segs: checkRelative(what, m[3] ?? "/") };
  }
  return refuse(what, "remote paths start with cos://, cfs:// or nfs://");
}

/**
 * The local file (or folder, without `fileName`) standing for a remote storage path.
 * Throws ApiError InvalidParameterValue.RemoteStoragePath for anything that would resolve
 * outside `dataDir`, including through a symlink already on disk.
 */
export function localPathFor(dataDir: string, remotePath: string, fileName?: string): string {
  const { root, segs } = splitRemote(remotePath);
  const parts = [root, ...segs];
  if (fileName !== undefined) {
    const what = `file name ${JSON.stringify(fileName)}`;
    if (fileName === "") refuse(what, "is empty");
    if (isAbsolute(fileName) || fileName.startsWith("/")) refuse(what, "must be relative to the remote path");
    const fileSegs = checkRelative(what, fileName);
    if (fileSegs.length === 0 || fileName.endsWith("/")) refuse(what, "must name a file");
    parts.push(...fileSegs);
  }
  const base = resolve(dataDir);
  const target = resolve(base, ...parts);
  if (!inside(base, target)) refuse(`remote path ${JSON.stringify(remotePath)}`, "resolves outside the local storage folder");
  // A symlink placed inside the data dir must not lead out of it either.
  const realBase = existsSync(base) ? realpathSync(base) : base;
  let probe = target;
  while (!existsSync(probe) && probe !== base && probe !== dirname(probe)) probe = dirname(probe);
  if (existsSync(probe) && !inside(realBase, realpathSync(probe)))
    refuse(`remote path ${JSON.stringify(remotePath)}`, "resolves outside the local storage folder");
  return target;
}

function inside(base: string, target: string): boolean {
  const rel = relative(base, target);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

/** The file names Batch accepts may carry these placeholders. */
export interface FileNameVars {
  jobId: string;
  taskName: string;
  index: number;
}

/** `${NAME}` as Batch writes its placeholders (not a JavaScript template). */
const placeholder = (name: string) => ["$", "{", name, "}"].join("");

export const PLACEHOLDERS = {
  jobId: placeholder("BATCH_JOB_ID"),
  taskName: placeholder("BATCH_TASK_NAME"),
  index: placeholder("BATCH_TASK_INSTANCE_INDEX"),
} as const;

export function expandFileName(template: string, v: FileNameVars): string {
  return template
    .replaceAll(PLACEHOLDERS.jobId, v.jobId)
    .replaceAll(PLACEHOLDERS.taskName, v.taskName)
    .replaceAll(PLACEHOLDERS.index, String(v.index));
}

/**
 * The emulator's default when RedirectInfo gives a path but no file name (the product docs name
 * no default): `${BATCH_JOB_ID}/${BATCH_TASK_NAME}/${BATCH_TASK_INSTANCE_INDEX}/stdout.log`
 * (`stderr.log` for stderr), so instances and retries of different jobs never collide.
 */
export const DEFAULT_STDOUT_FILE = `${PLACEHOLDERS.jobId}/${PLACEHOLDERS.taskName}/${PLACEHOLDERS.index}/stdout.log`;
export const DEFAULT_STDERR_FILE = `${PLACEHOLDERS.jobId}/${PLACEHOLDERS.taskName}/${PLACEHOLDERS.index}/stderr.log`;
