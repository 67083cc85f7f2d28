// Availability zones: `ap-guangzhou-2`, in the region before the last `-<n>`.
import * as z from "../zod";
import { lazy } from "../zod";

export const ZONE = /^[a-z]{2}-[a-z]+(-[a-z]+)?-\d+$/;
export const ZONE_RULE = "must be a zone such as ap-guangzhou-2";

/** Built on first use and marked pure: a bundle that only needs regionOfZone carries no schema. */
export const ZoneSchema = /* @__PURE__ */ lazy(() => z.string().check(z.regex(ZONE, { message: ZONE_RULE })));

/** Region of a zone: `ap-guangzhou-2` → `ap-guangzhou`. */
export function regionOfZone(zone: string): string {
  return zone.replace(/-\d+$/, "");
}
