// Invocations, sync and async, as SCF does them. Sync (Function URL, on-demand invoke): one
// attempt, the caller gets the outcome. Async (timer; the topic bus's HTTP pushes) follows SCF's default async
// policy: the first attempt plus 2 retries (here after 1 s and 2 s by default; SCF waits
// longer), then the event is appended to `<LOCAL_DATA_DIR>/dead-letter.jsonl` and logged.
// Every invocation is recorded (GET /_local/invocations).
import { randomUUID } from "node:crypto";
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { FunctionPool, InvokeContextInfo, InvokeOutcome } from "./function-pool";

export type InvocationSource = "apigw" | "function-url" | "cmq" | "timer" | "invoke";

export interface InvocationRecord {
  requestId: string;
  function: string;
  source: InvocationSource;
  trigger?: string;
  attempt: number;
  startedAt: string;
  durationMs: number;
  ok: boolean;
  kind?: string;
  error?: string;
}

export interface InvokerOptions {
  retries: number;
  retryBaseMs: number;
  deadLetterFile: string;
  log(line: string): void;
  maxRecords?: number;
}

export interface InvokeMeta {
  source: InvocationSource;
  trigger?: string;
  requestId?: string;
  /** A short description for logs and the dead-letter entry, e.g. `cmq message 123 on batch-node-events`. */
  what?: string;
}

export class Invoker {
  private readonly recordsList: InvocationRecord[] = [];
  private readonly retryTimers = new Map<NodeJS.Timeout, () => void>();
  private readonly inflight = new Set<Promise<unknown>>();
  private closed = false;

  constructor(
    private readonly pools: ReadonlyMap<string, FunctionPool>,
    private readonly opts: InvokerOptions,
  ) {}

  has(fn: string): boolean {
    return this.pools.has(fn);
  }

  /** One attempt; resolves with the outcome (never rejects). */
  async sync(fn: string, event: unknown, meta: InvokeMeta, attempt = 1): Promise<InvokeOutcome> {
    const pool = this.pools.get(fn);
    const requestId = meta.requestId ?? randomUUID();
    if (!pool) {
      return { ok: false, kind: "error", error: { errorType: "FunctionNotFound", errorMessage: `no function ${fn}` }, requestId, durationMs: 0 };
    }
    const info: InvokeContextInfo = { requestId, ...(meta.source === "timer" ? { triggerSrc: "timer" as const } : {}) };
    const started = new Date();
    const p = pool.invoke(event, info);
    this.inflight.add(p);
    let out: InvokeOutcome;
    try {
      out = await p;
    } finally {
      this.inflight.delete(p);
    }
    this.record({
      requestId,
      function: fn,
      source: meta.source,
      ...(meta.trigger ? { trigger: meta.trigger } : {}),
      attempt,
      startedAt: started.toISOString(),
      durationMs: out.durationMs,
      ok: out.ok,
      ...(out.ok ? {} : { kind: out.kind, error: `${out.error.errorType}: ${out.error.errorMessage}` }),
    });
    return out;
  }

  /** Fire and forget with SCF's async retry policy; resolves when delivered or dead-lettered. */
  async(fn: string, event: unknown, meta: InvokeMeta): Promise<void> {
    return this.retrying(fn, event, meta, async (attempt) => {
      const out = await this.sync(fn, event, { ...meta, requestId: randomUUID() }, attempt);
      return out.ok ? undefined : `${out.error.errorType}: ${out.error.errorMessage}`;
    });
  }

  /**
   * Runs `attempt` (which answers undefined when delivered, else why not) with SCF's async retry
   * policy: the first attempt plus `retries`, with backoff; then `event` goes to the dead-letter
   * file. Resolves when delivered or dead-lettered. The topic bus's HTTP pushes use it too.
   */
  retrying(fn: string, event: unknown, meta: InvokeMeta, attempt: (n: number) => Promise<string | undefined>): Promise<void> {
    const what = meta.what ?? `${meta.source} event`;
    const attempts: string[] = [];
    const run = async (n: number): Promise<void> => {
      const error = await attempt(n).catch((e: unknown) => `${(e as Error)?.name ?? "Error"}: ${(e as Error)?.message ?? String(e)}`);
      if (error === undefined) {
        if (n > 1) this.opts.log(`${fn}: ${what} succeeded on attempt ${n}`);
        return;
      }
      attempts.push(error);
      if (n <= this.opts.retries && !this.closed) {
        const delay = this.opts.retryBaseMs * 2 ** (n - 1);
        this.opts.log(`${fn}: ${what} failed (attempt ${n}/${this.opts.retries + 1}: ${error}); retrying in ${delay} ms`);
        return new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            this.retryTimers.delete(timer);
            run(n + 1).then(resolve);
          }, delay);
          this.retryTimers.set(timer, () => {
            this.deadLetter(fn, meta, what, event, attempts, "the local stack stopped before the retries ran");
            resolve();
          });
        });
      }
      this.deadLetter(fn, meta, what, event, attempts, this.closed ? "the local stack stopped" : `gave up after ${n} attempts`);
    };
    const p = run(1);
    this.inflight.add(p);
    return p.finally(() => this.inflight.delete(p));
  }

  private deadLetter(fn: string, meta: InvokeMeta, what: string, event: unknown, errors: string[], reason: string): void {
    const file = this.opts.deadLetterFile;
    mkdirSync(dirname(file), { recursive: true });
    appendFileSync(file, `${JSON.stringify({ time: new Date().toISOString(), function: fn, source: meta.source, trigger: meta.trigger, what, reason, attempts: errors.length, errors, event })}\n`);
    this.opts.log(`dead-letter: ${fn} did not handle ${what} (${reason}; last error: ${errors[errors.length - 1] ?? "none"}); kept in ${file}`);
  }

  private record(r: InvocationRecord): void {
    this.recordsList.push(r);
    const max = this.opts.maxRecords ?? 500;
    if (this.recordsList.length > max) this.recordsList.splice(0, this.recordsList.length - max);
  }

  records(filter: { function?: string; source?: string } = {}): InvocationRecord[] {
    return this.recordsList.filter((r) => (!filter.function || r.function === filter.function) && (!filter.source || r.source === filter.source));
  }

  /** Stops retrying (pending retries are dead-lettered) and waits up to `graceMs` for running invocations. */
  async close(graceMs = 5000): Promise<void> {
    this.closed = true;
    for (const [timer, abandon] of this.retryTimers) {
      clearTimeout(timer);
      abandon();
    }
    this.retryTimers.clear();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.inflight]), new Promise((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
  }
}
