// Single-flight reads: identical concurrent reads (Describe* actions) within one function
// instance share one Batch call, so a burst of the same `GET /jobs` waits for one DescribeJobs
// instead of queueing each at the client-side quota (./limiter). Nothing is kept once a call
// settles: an answer is never older than the call that produced it.
// - Key: the action plus the canonical JSON of its request (key order, absent and null alike).
// - Every waiter gets the same outcome: the same reply, or the same error object (errors are
//   not cloned; callers wrap them, never change them: ./errors `withHint`).
// - Isolation by clone, not freeze: a waiter owns what it gets, exactly as without sharing,
//   so a caller that mutates its reply can never show another waiter its change, and no
//   reply turns read-only (a mutation throwing TypeError) only when a call happened to be
//   shared. When a call had one waiter it gets the reply itself (no copy on the usual path);
//   with several, each gets its own structuredClone and the original is handed to nobody.
// - Writes cut joining: any other action marks every call in flight unjoinable when it starts
//   and again when it settles, so a read issued after a write has started never joins a call
//   begun before that, and a read issued after a write has finished never joins one begun while
//   it was still under way (the envs function re-reads after its writes to detect lost updates).
import { canonicalJson } from "../schemas/canonical-json";

/** Reads are shared; any other action is a write. */
export const isRead = (action: string) => action.startsWith("Describe");

export const flightKey = (action: string, req: unknown) => `${action} ${canonicalJson(req)}`;

export interface SingleFlight {
  /** `fn`'s outcome, shared with the identical reads in flight (each waiter its own copy). */
  read<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /** Runs `fn` (a write): reads in flight become unjoinable when it starts and when it settles. */
  write<T>(fn: () => Promise<T>): Promise<T>;
}

export function createSingleFlight(): SingleFlight {
  const flights = new Map<string, { p: Promise<unknown>; n: number }>();
  return {
    async read<T>(key: string, fn: () => Promise<T>): Promise<T> {
      let f = flights.get(key);
      if (!f) {
        const p = fn();
        const own = { p, n: 0 };
        f = own;
        flights.set(key, own);
        // First reaction on p, so the entry is gone (and `n` final) before any waiter resumes.
        const drop = () => {
          if (flights.get(key) === own) flights.delete(key);
        };
        p.then(drop, drop);
      }
      f.n++;
      const v = (await f.p) as T;
      return f.n > 1 ? structuredClone(v) : v;
    },
    async write<T>(fn: () => Promise<T>): Promise<T> {
      flights.clear();
      try {
        return await fn();
      } finally {
        flights.clear();
      }
    },
  };
}
