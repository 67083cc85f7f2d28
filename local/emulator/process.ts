// Starts the emulator in a child process (local/emulator/child.ts) and relays its Batch events.
import { fork } from "node:child_process";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const CHILD = join(dirname(fileURLToPath(import.meta.url)), "child.ts");
const START_TIMEOUT_MS = 30_000;

export interface EmulatorProcess {
  url: string;
  port: number;
  pid: number;
  /** Stops the emulator (it flushes its state first); SIGKILL if it is not gone within 5 s. */
  close(): Promise<void>;
}

export interface EmulatorProcessOptions {
  /** The emulator's whole environment (emulatorOptionsFromEnv reads it). */
  env: NodeJS.ProcessEnv;
  /** The repository root: where `tsx` resolves from. */
  root: string;
  publish(topic: string, body: string): void;
  /** One line of the emulator's stdout/stderr, and a line if it exits unasked. */
  output(line: string): void;
}

export function startEmulatorProcess(opts: EmulatorProcessOptions): Promise<EmulatorProcess> {
  const child = fork(CHILD, [], {
    cwd: opts.root,
    env: opts.env,
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "pipe", "pipe", "ipc"],
    serialization: "json",
  });
  for (const stream of [child.stdout, child.stderr]) if (stream) createInterface({ input: stream }).on("line", opts.output);
  let closing = false;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    let started = false;
    let failure = "";
    const fail = (why: string) => {
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      reject(new Error(`the Batch emulator did not start: ${why}`));
    };
    const timer = setTimeout(() => fail(`no answer within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
    child.on("error", (e) => {
      if (!started) fail(e.message);
      else opts.output(`emulator process error: ${e.message}`);
    });
    child.once("exit", (code, signal) => {
      if (!started) return fail(failure || `exit ${signal ?? code}`);
      if (!closing) opts.output(`the emulator exited (${signal ?? `code ${code}`}); Batch calls will fail until the stack restarts`);
    });
    child.on("message", (raw: unknown) => {
      const m = raw as { type?: string; topic?: string; body?: string; url?: string; port?: number; message?: string };
      if (m.type === "publish" && typeof m.topic === "string" && typeof m.body === "string") opts.publish(m.topic, m.body);
      else if (m.type === "failed") failure = m.message ?? "";
      else if (m.type === "ready" && m.url && m.port && !started) {
        started = true;
        clearTimeout(timer);
        resolve({
          url: m.url,
          port: m.port,
          pid: child.pid ?? 0,
          close: async () => {
            closing = true;
            if (child.exitCode !== null || child.signalCode !== null) return;
            const kill = setTimeout(() => child.kill("SIGKILL"), 5000);
            if (child.connected) child.disconnect();
            else child.kill("SIGKILL");
            await exited;
            clearTimeout(kill);
          },
        });
      }
    });
  });
}
