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

/**
 * The rule that a request's zone is in a region the API serves (TENCENTCLOUD_REGION, or
 * BATCH_REGIONS): undefined when it is, else the message for `Placement.Zone`.
 */
export function zoneNotServed(zone: string, regions: readonly string[]): string | undefined {
  const region = regionOfZone(zone);
  if (regions.includes(region)) return undefined;
  return regions.length === 1
    ? `zone ${zone} is not in this API's region ${regions[0]}`
    : `zone ${zone} is in region ${region}, which this API does not serve (${regions.join(", ")})`;
}
