// Storage paths (batch-facts §4): COS folders, CFS/NAS folders, and local paths on a node.
import * as z from "../zod";
import { lazy } from "../zod";
import { regionOfZone } from "./zone";

export type PathCheck = { ok: true } | { ok: false; rule: string };

const COS_XML = /^cos:\/\/([a-z0-9][a-z0-9-]*)-(\d+)\.cos\.([a-z]+-[a-z]+(?:-[a-z]+)?(?:-\d+)?)\.myqcloud\.com\/(.*)$/;
const COS_JSON_DOMAIN = /^cos:\/\/[^/]+\.cos[a-z]+\.myqcloud\.com\//;
const REMOTE_SCHEME = /^(cos|cfs|nfs):\/\//i;

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

/**
 * Whether the part after the host could leave the folder it names: a `.` or `..` segment, written
 * plainly or percent-encoded (`%2e%2e`, `%2E.`, `.%2e`; decoded until nothing changes, so double
 * encoding too), an encoded separator (`%2F`, `%5C`) or NUL that a decoding server would act on,
 * or a backslash used as a separator (`..\x`).
 */
function escapes(rest: string): boolean {
  return rest.split("/").some((raw) => {
    let seg = raw;
    for (let i = 0; i < 4; i++) {
      try {
        seg = decodeURIComponent(seg);
      } catch {
        break; // not valid percent-encoding: read as written
      }
    }
    return (seg !== raw && /[/\\\0]/.test(seg)) || /(^|\\)\.\.?(\\|$)/.test(seg);
  });
}

const ESCAPES = "may not contain . or .. segments, plain or %-encoded, nor %2F or %5C";

/** COS: `cos://<bucket>-<appid>.cos.<region>.myqcloud.com/<dir>/`, XML-API domain only, same region as the job. */
export function checkCosPath(path: string, jobRegion?: string): PathCheck {
  if (!path.startsWith("cos://")) return { ok: false, rule: "COS paths start with cos://" };
  if (COS_JSON_DOMAIN.test(path))
    return { ok: false, rule: "COS paths use the XML-API domain <bucket>-<appid>.cos.<region>.myqcloud.com, not the JSON-API domain" };
  const p = parseCosPath(path);
  if (!p) return { ok: false, rule: "COS paths look like cos://<bucket>-<appid>.cos.<region>.myqcloud.com/<dir>/" };
  if (!path.endsWith("/")) return { ok: false, rule: "COS paths end with /" };
  if (escapes(p.key)) return { ok: false, rule: `COS paths ${ESCAPES}` };
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
  if (escapes(m[3]!)) return { ok: false, rule: `CFS/NAS paths ${ESCAPES}` };
  return { ok: true };
}

export const REMOTE_SCHEME_RULE = "remote paths start with cos://, cfs:// or nfs://";

export const isRemotePath = (path: string) => REMOTE_SCHEME.test(path);

/** Any remote storage path (COS, CFS or NFS). */
export function checkRemotePath(path: string, jobRegion?: string): PathCheck {
  if (path.startsWith("cos://")) return checkCosPath(path, jobRegion);
  if (/^(cfs|nfs):\/\//i.test(path)) return checkCfsPath(path);
  return { ok: false, rule: REMOTE_SCHEME_RULE };
}

/** A file on COS (a package): no trailing `/`, its folder follows the COS folder rules. */
export function checkCosFile(path: string, jobRegion?: string): PathCheck {
  return checkCosPath(path.slice(0, path.lastIndexOf("/") + 1), jobRegion);
}

/** A local path on a node, absolute: `/data/` on Linux or `C:\data\` on Windows; no NUL. */
export function checkLocalPath(path: string): PathCheck {
  if (!(path.startsWith("/") || /^[A-Za-z]:[\\/]/.test(path))) return { ok: false, rule: `${path} is not an absolute local path (/data/ or C:\\data\\)` };
  if (path.includes("\u0000")) return { ok: false, rule: "a local path must not contain NUL" };
  return { ok: true };
}

/**
 * A local path field: absolute, no NUL (checkLocalPath). Built on first use and marked pure, so a
 * bundle that imports this module for its COS rules (cost-report) carries no schema it never uses.
 */
export const LocalPathSchema = /* @__PURE__ */ lazy(() =>
  z.string().check(
    z.superRefine((s, ctx) => {
      const r = checkLocalPath(s);
      if (!r.ok) ctx.addIssue({ code: "custom", message: r.rule });
    }),
  ),
);
