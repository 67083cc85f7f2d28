// Fault injection per action: an error code, at a rate or for a count, and/or latency.
import { z } from "zod";
// the same English messages as the functions' schemas (classic zod would word them its own way)
import "../../shared/zod";
import { ApiError } from "./context";

export const FaultSpecSchema = z.object({
  /** An action name, or "*" for every action. */
  action: z.string().min(1).default("*"),
  code: z.string().min(1).optional(),
  message: z.string().optional(),
  /** Probability in [0, 1] that a call is hit. Default 1. */
  rate: z.number().min(0).max(1).default(1),
  /** Hit at most this many calls, then the fault is spent. */
  count: z.number().int().positive().optional(),
  latencyMs: z.number().int().min(0).max(60_000).optional(),
});
export type FaultSpec = z.input<typeof FaultSpecSchema>;
type Fault = z.infer<typeof FaultSpecSchema> & { id: number; hits: number };

export function createFaults(random: () => number = Math.random) {
  let faults: Fault[] = [];
  let seq = 0;
  return {
    add(spec: FaultSpec): Fault {
      const r = FaultSpecSchema.safeParse(spec);
      if (!r.success) throw new ApiError("InvalidParameter", r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
      if (!r.data.code && r.data.latencyMs === undefined) throw new ApiError("InvalidParameter", "a fault needs a code, a latencyMs, or both");
      const f: Fault = { ...r.data, id: ++seq, hits: 0 };
      faults.push(f);
      return f;
    },
    list: () => faults,
    clear() {
      faults = [];
    },
    /** The fault hitting this call, if any (first match wins). */
    pick(action: string): Fault | undefined {
      for (const f of faults) {
        if (f.action !== "*" && f.action !== action) continue;
        if (f.count !== undefined && f.hits >= f.count) continue;
        if (random() >= f.rate) continue;
        f.hits++;
        return f;
      }
      return undefined;
    },
  };
}
