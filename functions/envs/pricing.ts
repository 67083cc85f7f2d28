// What a node costs per hour, from the same price table the cost report uses (COST_PRICES over
// the documented BS1 prices). Nodes do not name their instance type, so it is read from the
// env's creation info and matched on cores and memory when the env allows several types.
import { INSTANCE_TYPES } from "../../shared/schemas/instance-types";
import { type PriceTable, type Rate, rateFor } from "../../shared/prices";

export type { PriceTable };

/** The env's type a node is of: the one whose cores and memory match, else the first one. */
export function nodeInstanceType(types: readonly string[], cpu: number, memGiB: number): string | undefined {
  const match = types.find((t) => INSTANCE_TYPES[t]?.cpu === cpu && INSTANCE_TYPES[t]?.memGiB === memGiB);
  return match ?? types[0];
}

/** Cores of a node of this type, when the type is known. */
export const coresOf = (instanceType: string | undefined): number | undefined =>
  instanceType ? INSTANCE_TYPES[instanceType]?.cpu : undefined;

/** Price per hour of a rate for a node `ageSec` seconds into its life (tiers by hours used). */
export function perHourAt(rate: Rate, ageSec: number): number {
  let price = rate.tiers[0]?.perHour ?? 0;
  for (const t of rate.tiers) if (ageSec >= t.fromSec) price = t.perHour;
  return price;
}

/** Cost per hour of one node, or undefined when its type has no price (unpriced, never free). */
export function nodeCostPerHour(
  prices: PriceTable,
  region: string,
  instanceType: string | undefined,
  cores: number,
  ageSec: number,
): number | undefined {
  if (!instanceType) return undefined;
  const rate = rateFor(prices, instanceType, region, cores);
  return rate ? perHourAt(rate, ageSec) : undefined;
}

/** Money rounded to 1/10000 of the currency unit (per-hour prices have 2–4 decimals). */
export const money = (v: number): number => Math.round(v * 10_000) / 10_000;
