// Instances of one function, like SCF containers: each is a child process running
// function-host.cjs over the built bundle, serving one invocation at a time. More instances
// start on demand (up to a cap), a timed-out instance is killed (SCF ends the instance on
// timeout), and a crashed instance is replaced with backoff so one stays warm.
import { type ChildProcess, fork } from "node:child_process";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { FunctionConfig } from "./serverless-config";

const HOST_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), "function-host.cjs");

export interface InvokeError {
  errorType: string;
  errorMessage: string;
  stackTrace?: string;
}

export type InvokeOutcome =
  | { ok: true; value: unknown; requestId: string; durationMs: number }
  | { ok: false; kind: "error" | "timeout" | "crash" | "init"; error: InvokeError; requestId: string; durationMs: number };

export interface InvokeContextInfo {
  requestId: string;
  /** SCF sets TRIGGER_SRC=timer on timer invocations. */
  triggerSrc?: "timer";
}

export interface PoolOptions {
  /** The function's whole environment (nothing of the parent's is inherited). */
  env: Record<string, string>;
  region: string;
  appId: string;
  uin: string;
  maxInstances: number;
  /** The Node binary instances run on (LOCAL_FUNCTION_NODE); default this process's. */
  nodeBin?: string;
  /** One line of the function's stdout/stderr. */
  output(line: string, stream: "stdout" | "stderr"): void;
  /** Lifecycle notes (instance crashed, restarted). */
  note(line: string): void;
}

interface Pending {
  id: string;
  event: unknown;
  info: InvokeContextInfo;
  started: number;
  resolve(o: InvokeOutcome): void;
}

interface Instance {
  child: ChildProcess;
  ready: Promise<void>;
  /** `ready` has settled: an invocation goes to the child at once, not a promise turn later. */
  loaded: boolean;
  current?: Pending & { timer: NodeJS.Timeout };
  dead: boolean;
}

export class FunctionPool {
  private readonly instances = new Set<Instance>();
  private readonly queue: Pending[] = [];
  private closing = false;
  private crashes = 0;
  private respawn?: NodeJS.Timeout;
  private seq = 0;
  private version: string | undefined;

  constructor(
    readonly fn: FunctionConfig,
    private readonly opts: PoolOptions,
  ) {}

  /** Starts one instance and waits until its bundle is loaded (an init error is reported per invocation). */
  async warm(): Promise<void> {
    if (this.instances.size === 0) await this.spawn().ready;
  }

  invoke(event: unknown, info: InvokeContextInfo): Promise<InvokeOutcome> {
    if (this.closing) {
      return Promise.resolve({ ok: false, kind: "crash", error: { errorType: "StackClosing", errorMessage: "the local stack is shutting down" }, requestId: info.requestId, durationMs: 0 });
    }
    return new Promise((resolve) => {
      this.queue.push({ id: String(++this.seq), event, info, started: Date.now(), resolve });
      this.dispatch();
    });
  }

  get size(): number {
    return this.instances.size;
  }

  /** `process.version` of the Node the instances run on, once one has loaded. */
  get nodeVersion(): string | undefined {
    return this.version;
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let idle: Instance | undefined;
      for (const i of this.instances) if (!i.dead && !i.current) idle = i;
      if (!idle) {
        if (this.instances.size >= this.opts.maxInstances) return;
        idle = this.spawn();
      }
      const job = this.queue.shift()!;
      this.run(idle, job);
    }
  }

  private run(inst: Instance, job: Pending): void {
    const timeoutMs = this.fn.timeout * 1000;
    const timer = setTimeout(() => {
      this.opts.note(`${this.fn.name}: invocation ${job.info.requestId} timed out after ${this.fn.timeout} s; instance killed`);
      this.finish(inst, { ok: false, kind: "timeout", error: { errorType: "TimeoutError", errorMessage: `Invoking task timed out after ${this.fn.timeout} seconds` }, requestId: job.info.requestId, durationMs: Date.now() - job.started });
      inst.dead = true;
      inst.child.kill("SIGKILL");
    }, timeoutMs);
    inst.current = { ...job, timer };
    if (inst.loaded) this.send(inst, job);
    else inst.ready.then(() => this.send(inst, job));
  }

  private send(inst: Instance, job: Pending): void {
    if (inst.dead || inst.current?.id !== job.id) return;
    const timeoutMs = this.fn.timeout * 1000;
    inst.child.send({
      type: "invoke",
      id: job.id,
      event: job.event,
      context: {
        requestId: job.info.requestId,
        triggerSrc: job.info.triggerSrc,
        timeLimitMs: timeoutMs,
        memoryMb: this.fn.memorySize,
        functionName: this.fn.scfName,
        region: this.opts.region,
        appId: this.opts.appId,
        uin: this.opts.uin,
      },
    });
  }

  private finish(inst: Instance, outcome: InvokeOutcome): void {
    const cur = inst.current;
    if (!cur) return;
    clearTimeout(cur.timer);
    inst.current = undefined;
    if (outcome.ok) this.crashes = 0;
    cur.resolve(outcome);
    if (this.queue.length > 0) queueMicrotask(() => this.dispatch());
  }

  private spawn(): Instance {
    const child = fork(HOST_SCRIPT, [this.fn.entryFile, this.fn.handlerExport], {
      ...(this.opts.nodeBin ? { execPath: this.opts.nodeBin } : {}),
      env: this.opts.env,
      cwd: dirname(this.fn.entryFile),
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      // Roughly SCF's memory cap: the V8 heap may not grow past the function's memorySize.
      execArgv: [`--max-old-space-size=${this.fn.memorySize}`],
      serialization: "json",
    });
    let settleReady: () => void = () => {};
    const inst: Instance = { child, ready: new Promise<void>((r) => (settleReady = r)), loaded: false, dead: false };
    const markReady = () => {
      inst.loaded = true;
      settleReady();
    };
    this.instances.add(inst);
    for (const [stream, name] of [
      [child.stdout, "stdout"],
      [child.stderr, "stderr"],
    ] as const) {
      if (stream) createInterface({ input: stream }).on("line", (line) => this.opts.output(line, name));
    }
    child.on("message", (raw: unknown) => {
      const msg = raw as { type?: string; id?: string; ok?: boolean; value?: unknown; error?: InvokeError; kind?: "error" | "init"; nodeVersion?: string };
      if (msg.type === "ready" || msg.type === "init-error") this.version = msg.nodeVersion;
      if (msg.type === "ready") markReady();
      else if (msg.type === "init-error") {
        this.opts.note(`${this.fn.name}: the bundle failed to load: ${msg.error?.errorMessage}`);
        markReady();
      } else if (msg.type === "result" && inst.current && msg.id === inst.current.id) {
        const base = { requestId: inst.current.info.requestId, durationMs: Date.now() - inst.current.started };
        this.finish(inst, msg.ok ? { ok: true, value: msg.value, ...base } : { ok: false, kind: msg.kind ?? "error", error: msg.error ?? { errorType: "Error", errorMessage: "unknown error" }, ...base });
      }
    });
    child.on("error", (e) => this.opts.note(`${this.fn.name}: instance error: ${e.message}`));
    child.on("exit", (code, signal) => {
      const wasDead = inst.dead;
      inst.dead = true;
      this.instances.delete(inst);
      markReady();
      if (inst.current) {
        this.finish(inst, {
          ok: false,
          kind: "crash",
          error: { errorType: "InstanceCrashed", errorMessage: `the function instance exited (${signal ?? `code ${code}`}) during the invocation` },
          requestId: inst.current.info.requestId,
          durationMs: Date.now() - inst.current.started,
        });
      }
      if (this.closing || wasDead) {
        if (!this.closing && this.queue.length > 0) this.dispatch();
        if (!this.closing && this.instances.size === 0) this.scheduleRespawn(false);
        return;
      }
      this.crashes++;
      this.opts.note(`${this.fn.name}: instance exited unexpectedly (${signal ?? `code ${code}`}); restarting`);
      this.scheduleRespawn(true);
    });
    return inst;
  }

  private scheduleRespawn(crashed: boolean): void {
    if (this.respawn || this.closing) return;
    const delay = crashed ? Math.min(5000, 100 * 2 ** Math.min(this.crashes, 6)) : 0;
    this.respawn = setTimeout(() => {
      this.respawn = undefined;
      if (this.closing) return;
      if (this.instances.size === 0) this.spawn();
      this.dispatch();
    }, delay);
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.respawn) clearTimeout(this.respawn);
    for (const p of this.queue.splice(0)) {
      p.resolve({ ok: false, kind: "crash", error: { errorType: "StackClosing", errorMessage: "the local stack is shutting down" }, requestId: p.info.requestId, durationMs: 0 });
    }
    await Promise.all(
      [...this.instances].map(
        (inst) =>
          new Promise<void>((resolve) => {
            if (inst.child.exitCode !== null || inst.child.signalCode !== null) return resolve();
            const kill = setTimeout(() => inst.child.kill("SIGKILL"), 2000);
            inst.child.once("exit", () => {
              clearTimeout(kill);
              resolve();
            });
            // The host exits when its IPC channel closes (it ignores SIGINT/SIGTERM, see function-host.cjs).
            if (inst.child.connected) inst.child.disconnect();
            else inst.child.kill("SIGKILL");
          }),
      ),
    );
  }
}
