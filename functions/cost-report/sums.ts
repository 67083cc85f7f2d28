// Core-seconds and money, summed exactly as seconds and rounded only on output: what one
// node adds over an interval, and the rounded summary a report shows for a sum.
import { intervalCost } from "../../shared/prices";
import type { Summary } from "./model";
import type { BusyNode } from "./nodes";

export interface Acc {
  nodeSec: number;
  coreSec: number;
  busyCoreSec: number;
  wasteCoreSec: number;
  unpricedCoreSec: number;
  cost: number;
  busyCost: number;
  wasteCost: number;
}

export const emptyAcc = (): Acc => ({ nodeSec: 0, coreSec: 0, busyCoreSec: 0, wasteCoreSec: 0, unpricedCoreSec: 0, cost: 0, busyCost: 0, wasteCost: 0 });

export function addAcc(into: Acc, a: Acc): void {
  into.nodeSec += a.nodeSec;
  into.coreSec += a.coreSec;
  into.busyCoreSec += a.busyCoreSec;
  into.wasteCoreSec += a.wasteCoreSec;
  into.unpricedCoreSec += a.unpricedCoreSec;
  into.cost += a.cost;
  into.busyCost += a.busyCost;
  into.wasteCost += a.wasteCost;
}

export const round = (v: number, digits = 4): number => {
  const f = 10 ** digits;
  const r = Math.round((v + Number.EPSILON * Math.sign(v)) * f) / f;
  return Object.is(r, -0) ? 0 : r;
};

export function summarize(a: Acc): Summary {
  const idleSec = Math.max(0, a.coreSec - a.busyCoreSec);
  const idleCost = Math.max(0, a.cost - a.busyCost);
  return {
    nodeHours: round(a.nodeSec / 3600),
    coreHours: round(a.coreSec / 3600),
    busyCoreHours: round(a.busyCoreSec / 3600),
    idleCoreHours: round(idleSec / 3600),
    wasteCoreHours: round(a.wasteCoreSec / 3600),
    unpricedCoreHours: round(a.unpricedCoreSec / 3600),
    cost: round(a.cost),
    busyCost: round(a.busyCost),
    idleCost: round(idleCost),
    wasteCost: round(a.wasteCost),
    idlePercent: a.coreSec > 0 ? round((idleSec / a.coreSec) * 100, 2) : 0,
  };
}

/** Adds one node's numbers over [p0, p1) to `acc`. */
export function accumulate(p: BusyNode, p0: number, p1: number, acc: Acc): void {
  const { life, rate } = p;
  const a = Math.max(p0, life.start);
  const b = Math.min(p1, life.end);
  if (b <= a) return;
  const sec = (b - a) / 1000;
  let busySec = 0;
  let busyCost = 0;
  for (const [s, e] of p.busy) {
    if (e <= a) continue;
    if (s >= b) break;
    const lo = Math.max(s, a);
    const hi = Math.min(e, b);
    busySec += (hi - lo) / 1000;
    if (rate) busyCost += intervalCost(rate, life.start, lo, hi);
  }
  acc.nodeSec += sec;
  acc.coreSec += sec * life.cores;
  acc.busyCoreSec += busySec * life.cores;
  if (!rate) {
    acc.unpricedCoreSec += sec * life.cores;
    if (life.unhealthy) acc.wasteCoreSec += (sec - busySec) * life.cores;
    return;
  }
  const cost = intervalCost(rate, life.start, a, b);
  acc.cost += cost;
  acc.busyCost += busyCost;
  if (life.unhealthy) {
    acc.wasteCoreSec += (sec - busySec) * life.cores;
    acc.wasteCost += cost - busyCost;
  }
}
