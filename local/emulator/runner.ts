// Runs task commands as local processes (`/bin/sh -c`), one per task instance attempt.
// Finished runs are queued and picked up by the scheduler's tick, so job state only ever
// changes inside a tick or a request (and is flushed to the store right after).
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { dirname } from "node:path";

/** DescribeTaskLogs returns at most this many bytes of each stream (its tail). */
export const TAIL_BYTES = 2048;

export interface RunSpec {
  command: string;
  cwd: string;
  env: Record<string, string>;
  /** Local files that receive the whole stream (may be the same file for both). */
  stdoutFile?: string | undefined;
  stderrFile?: string | undefined;
}

export interface RunResult {
  exitCode: number | null;
  signal: string | null;
  stdoutTail: string;
  stderrTail: string;
  /** Set when the process could not start or its output could not be written. */
  error?: string | undefined;
}

/** Keeps the last `max` bytes of a stream. */
export class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly max = TAIL_BYTES) {}
  push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
    while (this.size - (this.chunks[0]?.length ?? 0) >= this.max) this.size -= this.chunks.shift()?.length ?? 0;
  }
  /** The tail as text, cut at a character boundary so it stays within `max` bytes. */
  text(): string {
    let buf = Buffer.concat(this.chunks);
    if (buf.length > this.max) buf = buf.subarray(buf.length - this.max);
    let start = 0;
    // Skip UTF-8 continuation bytes left over from a character cut in half.
    while (start < buf.length && start < 4 && (buf[start]! & 0xc0) === 0x80) start++;
    return buf.subarray(start).toString("utf8");
  }
}

/** Environment a task sees: ours minus the emulator's own cloud credentials. */
export function taskEnv(base: NodeJS.ProcessEnv, extra: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) {
    if (v === undefined) continue;
    if (/^TENCENTCLOUD_(SECRETID|SECRETKEY|SESSIONTOKEN)$/.test(k)) continue;
    out[k] = v;
  }
  return { ...out, ...extra };
}

interface Running {
  child: ChildProcess;
  killed: boolean;
  stdoutTail: Tail;
  stderrTail: Tail;
}

export class Runner {
  private readonly running = new Map<string, Running>();
  private readonly finished = new Map<string, RunResult>();
  private closed = false;

  /** Starts `spec` under `key` (one run per key at a time); answers its process-group id. */
  start(key: string, spec: RunSpec): number | undefined {
    if (this.closed) return undefined;
    this.kill(key);
    this.finished.delete(key);
    const stdoutTail = new Tail();
    const stderrTail = new Tail();
    let error: string | undefined;
    const files = new Map<string, WriteStream>();
    const open = (file: string | undefined): WriteStream | undefined => {
      if (!file) return undefined;
      let s = files.get(file);
      if (!s) {
        try {
          mkdirSync(dirname(file), { recursive: true });
          s = createWriteStream(file, { flags: "w" });
          s.on("error", (e) => {
            error ??= `cannot write ${file}: ${e.message}`;
          });
          files.set(file, s);
        } catch (e) {
          error ??= `cannot write ${file}: ${(e as Error).message}`;
          return undefined;
        }
      }
      return s;
    };
    const out = open(spec.stdoutFile);
    const err = open(spec.stderrFile);
    let child: ChildProcess;
    try {
      mkdirSync(spec.cwd, { recursive: true });
      child = spawn("/bin/sh", ["-c", spec.command], {
        cwd: spec.cwd,
        env: spec.env,
        stdio: ["ignore", "pipe", "pipe"],
        // Own process group: a timeout or TerminateJob kills the whole command tree.
        detached: true,
      });
    } catch (e) {
      for (const s of files.values()) s.end();
      this.finished.set(key, { exitCode: null, signal: null, stdoutTail: "", stderrTail: "", error: (e as Error).message });
      return undefined;
    }
    const entry: Running = { child, killed: false, stdoutTail, stderrTail };
    this.running.set(key, entry);
    child.stdout?.on("data", (b: Buffer) => {
      stdoutTail.push(b);
      out?.write(b);
    });
    child.stderr?.on("data", (b: Buffer) => {
      stderrTail.push(b);
      err?.write(b);
    });
    let spawnError: string | undefined;
    child.on("error", (e) => {
      spawnError = e.message;
    });
    child.on("close", (code, signal) => {
      // Wait until redirected output is on disk: a reader that sees SUCCEED must see the file.
      const ends = [...files.values()].map((s) => new Promise<void>((r) => (s.writableFinished || s.destroyed ? r() : s.end(r))));
      void Promise.all(ends).then(() => {
        if (this.running.get(key) !== entry) return;
        this.running.delete(key);
        if (this.closed || entry.killed) return;
        this.finished.set(key, {
          exitCode: code,
          signal,
          stdoutTail: stdoutTail.text(),
          stderrTail: stderrTail.text(),
          error: spawnError ?? error,
        });
      });
    });
    // detached: the child leads its own process group, so its pid is the group id.
    return child.pid;
  }

  isRunning(key: string): boolean {
    return this.running.has(key);
  }

  /** The result of a run that ended since the last call, if any. */
  take(key: string): RunResult | undefined {
    const r = this.finished.get(key);
    if (r) this.finished.delete(key);
    return r;
  }

  /** Kills the run under `key` (its whole process group); answers the output seen so far. */
  kill(key: string): { stdoutTail: string; stderrTail: string } | undefined {
    const r = this.running.get(key);
    if (!r) return undefined;
    r.killed = true;
    this.running.delete(key);
    killTree(r.child);
    return { stdoutTail: r.stdoutTail.text(), stderrTail: r.stderrTail.text() };
  }

  close(): void {
    this.closed = true;
    for (const key of [...this.running.keys()]) this.kill(key);
    this.finished.clear();
  }
}

/** Kills a whole process group left over from an earlier emulator process (gone already is fine). */
export function killGroup(pgid: number): void {
  if (!Number.isInteger(pgid) || pgid <= 1) return;
  try {
    process.kill(-pgid, "SIGKILL");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
  }
}

function killTree(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
}
