// The price table, a product fact that cost-report (what was spent) and envs (what a node
// or a scale-up costs) both read: documented BS1 prices by default, overridable per
// instance type and per region (COST_PRICES), with optional tiers by hours used. A type
// with no price is reported as unpriced, never as free.
import * as z from "./zod";
import { parseJsonVar } from "./config";

const money = z.number().check(z.nonnegative());

const TierSchema = z.object({
  /** Hours of the node's life after which this tier's price applies (0, 96, 360 …). */
  fromHours: z.number().check(z.nonnegative()),
  perHour: z.optional(money),
  perCoreHour: z.optional(money),
});

export const PriceSpecSchema = z
  .strictObject({
    perHour: z.optional(money),
    perCoreHour: z.optional(money),
    tiers: z.optional(z.array(TierSchema).check(z.minLength(1))),
  })
  .check(
    z.superRefine((spec, ctx) => {
      const given = [spec.perHour, spec.perCoreHour, spec.tiers].filter((v) => v !== undefined).length;
      if (given !== 1) ctx.addIssue({ code: "custom", message: "give exactly one of perHour, perCoreHour, tiers" });
      if (!spec.tiers) return;
      spec.tiers.forEach((t, i) => {
        if ((t.perHour === undefined) === (t.perCoreHour === undefined))
          ctx.addIssue({ code: "custom", path: ["tiers", i], message: "give exactly one of perHour, perCoreHour" });
        if (i === 0 && t.fromHours !== 0) ctx.addIssue({ code: "custom", path: ["tiers", 0, "fromHours"], message: "the first tier starts at 0 hours" });
        const prev = spec.tiers?.[i - 1];
        if (prev && t.fromHours <= prev.fromHours)
          ctx.addIssue({ code: "custom", path: ["tiers", i, "fromHours"], message: "tiers must start at increasing hours" });
      });
    }),
  );
export type PriceSpec = z.infer<typeof PriceSpecSchema>;

const TypeTableSchema = z.record(z.string().check(z.minLength(1)), PriceSpecSchema);

export const PriceTableSchema = z.strictObject({
  currency: z._default(z.string().check(z.regex(/^[A-Z]{3}$/, "an ISO 4217 code such as CNY")), "CNY"),
  types: z._default(TypeTableSchema, {}),
  /** Per region (`ap-guangzhou`), per instance type: wins over `types`. */
  regions: z._default(z.record(z.string().check(z.regex(/^[a-z]+-[a-z]+(-[a-z]+)?$/, "a region such as ap-guangzhou")), TypeTableSchema), {}),
});
export type PriceTableInput = z.input<typeof PriceTableSchema>;

export interface PriceTable {
  currency: string;
  types: Record<string, PriceSpec>;
  regions: Record<string, Record<string, PriceSpec>>;
  /** `documented BS1 prices` or `documented BS1 prices + COST_PRICES`. */
  source: string;
}

/** The product page: "from 0.09 CNY per core-hour"; LARGE8 0.36/h, LARGE24 1.08/h, LARGE48 2.16/h. */
export const DEFAULT_PRICES: Readonly<Record<string, PriceSpec>> = {
  "BS1.LARGE8": { perHour: 0.36 },
  "BS1.LARGE24": { perHour: 1.08 },
  "BS1.LARGE48": { perHour: 2.16 },
};
export const DEFAULT_PRICE_SOURCE = "documented BS1 prices (0.09 CNY per core-hour)";

export function buildPriceTable(override?: z.infer<typeof PriceTableSchema>): PriceTable {
  if (!override) return { currency: "CNY", types: { ...DEFAULT_PRICES }, regions: {}, source: DEFAULT_PRICE_SOURCE };
  return {
    currency: override.currency,
    types: { ...DEFAULT_PRICES, ...override.types },
    regions: override.regions,
    source: `${DEFAULT_PRICE_SOURCE}, overridden by COST_PRICES`,
  };
}

/** COST_PRICES as JSON; errors name the variable and the field. */
export function priceTableFromEnv(raw: string | undefined): PriceTable {
  const parsed = parseJsonVar("COST_PRICES", raw, z.optional(PriceTableSchema));
  return buildPriceTable(parsed);
}

export interface Tier {
  /** Seconds of the node's life after which `perHour` applies. */
  fromSec: number;
  perHour: number;
}

export interface Rate {
  tiers: Tier[];
  tiered: boolean;
}

/** The price of one node of `instanceType` with `cores` cores in `region`, or undefined (unpriced). */
export function rateFor(table: PriceTable, instanceType: string, region: string, cores: number): Rate | undefined {
  const spec = table.regions[region]?.[instanceType] ?? table.types[instanceType];
  if (!spec) return undefined;
  // A flat price is one tier from the node's first hour.
  const tiers = spec.tiers ?? [{ fromHours: 0, perHour: spec.perHour, perCoreHour: spec.perCoreHour }];
  return {
    tiers: tiers.map((t) => ({ fromSec: t.fromHours * 3600, perHour: t.perHour !== undefined ? t.perHour : (t.perCoreHour ?? 0) * cores })),
    tiered: tiers.length > 1,
  };
}

/**
 * Cost of one node alive over [a, b) (epoch ms) whose life began at `lifeStart`:
 * each tier's price applies to the hours of the node's life that fall in that tier.
 * Additive over sub-intervals by construction.
 */
export function intervalCost(rate: Rate, lifeStart: number, a: number, b: number): number {
  if (b <= a) return 0;
  let cost = 0;
  for (let i = 0; i < rate.tiers.length; i++) {
    const tier = rate.tiers[i]!;
    const next = rate.tiers[i + 1];
    const tierFrom = lifeStart + tier.fromSec * 1000;
    const tierTo = next ? lifeStart + next.fromSec * 1000 : Number.POSITIVE_INFINITY;
    const lo = Math.max(a, tierFrom);
    const hi = Math.min(b, tierTo);
    if (hi > lo) cost += ((hi - lo) / 3_600_000) * tier.perHour;
  }
  return cost;
}
