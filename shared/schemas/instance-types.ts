// Instance types the project knows (vCPU, memory) and where they are sold. BS1 from the
// product page (batch-facts §5); S-types from CVM. Prices are a separate fact: ../prices.ts.

export interface InstanceTypeSpec {
  cpu: number;
  memGiB: number;
  /** Batch compute (BS1) types are sold only in BS1_ZONES. */
  bs1: boolean;
}

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

/** Where an instance type may run; undefined when it may. */
export function checkInstanceZone(instanceType: string, zone: string): string | undefined {
  const spec = INSTANCE_TYPES[instanceType];
  if (!spec) return `unknown instance type ${instanceType}; known: ${Object.keys(INSTANCE_TYPES).join(", ")}`;
  if (spec.bs1 && !(BS1_ZONES as readonly string[]).includes(zone))
    return `${instanceType} (BS1) is sold only in ${BS1_ZONES.join(" and ")}, not ${zone}`;
  return undefined;
}

/** Known types with exactly this many vCPU and GiB that are sold in `zone`. */
export function typesFitting(cpu: number, memGiB: number, zone: string): string[] {
  return Object.keys(INSTANCE_TYPES).filter((t) => INSTANCE_TYPES[t]!.cpu === cpu && INSTANCE_TYPES[t]!.memGiB === memGiB && !checkInstanceZone(t, zone));
}

/**
 * Cores per new node, for the maxCores bounds (the envs API's guardrail, autoscale): the largest
 * across the env's instance types, since Batch may fall back to any of them. Unknown when the env
 * names no type, or when any type's cores are unknown (`unknown` lists those types).
 */
export function coresOfNewNodes(instanceTypes: readonly string[]): { ok: true; cores: number } | { ok: false; unknown: string[] } {
  if (instanceTypes.length === 0) return { ok: false, unknown: [] };
  const unknown = instanceTypes.filter((t) => INSTANCE_TYPES[t] === undefined);
  if (unknown.length > 0) return { ok: false, unknown };
  return { ok: true, cores: Math.max(...instanceTypes.map((t) => INSTANCE_TYPES[t]?.cpu ?? 0)) };
}

/** The part of DescribeComputeEnvCreateInfo that names the instance types (envs, autoscale and cost-report read it). */
export interface CreateInfo {
  EnvData?: {
    InstanceType?: string | null;
    InstanceTypes?: string[] | null;
    InstanceTypeOptions?: { CPU: number; Memory: number } | null;
  } | null;
}

/** Instance types an env may create nodes of, in the order Batch tries them. */
export function envInstanceTypes(createInfo: CreateInfo, zone: string): string[] {
  const data = createInfo.EnvData;
  if (!data) return [];
  if (data.InstanceType) return [data.InstanceType];
  if (data.InstanceTypes && data.InstanceTypes.length > 0) return [...data.InstanceTypes];
  const opt = data.InstanceTypeOptions;
  if (opt) {
    return typesFitting(opt.CPU, opt.Memory, zone);
  }
  return [];
}
