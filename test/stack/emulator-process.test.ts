// The local stack's emulator runs in a process of its own: it answers, relays its Batch events,
// stops with its parent, and a failed start says why.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startEmulatorProcess } from "../../local/emulator/process";
import { createTencentBatch } from "../../shared/batch/tencent-adapter";
import { eventually } from "../support/emulator";

const ROOT = resolve(__dirname, "..", "..");
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const env = (extra: Record<string, string> = {}) => {
  const dir = mkdtempSync(join(tmpdir(), "emu-proc-"));
  dirs.push(dir);
  return { PATH: process.env.PATH, LOCAL_DATA_DIR: dir, BATCH_EMULATOR_PORT: "0", EMULATOR_EXEC: "off", TENCENTCLOUD_SECRETID: "AKIDemuproc00000000000000000000000", TENCENTCLOUD_SECRETKEY: "emuprocsecret0000000000000000000", ...extra };
};
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("the emulator process", () => {
  it("serves the Batch API from another process, relays published events, and exits on close", async () => {
    const published: Array<{ topic: string; body: string }> = [];
    const lines: string[] = [];
    const emu = await startEmulatorProcess({ root: ROOT, env: env(), publish: (topic, body) => published.push({ topic, body }), output: (l) => lines.push(l) });
    expect(emu.pid).not.toBe(process.pid);
    expect(alive(emu.pid)).toBe(true);
    const batch = createTencentBatch({
      region: "ap-guangzhou",
      endpoint: emu.url,
      credentials: () => ({ secretId: "AKIDemuproc00000000000000000000000", secretKey: "emuprocsecret0000000000000000000" }),
      rates: {},
    });
    const created = await batch.createEnv({
      Placement: { Zone: "ap-guangzhou-2" },
      ComputeEnv: {
        EnvName: "proc",
        DesiredComputeNodeCount: 1,
        EnvData: { InstanceType: "BS1.LARGE8", ImageId: "img-31tjrtph" },
        Notifications: [{ TopicName: "proc-topic", EventConfigs: [{ EventName: "COMPUTE_NODE_CREATED", EventVars: [] }] }],
      },
    });
    expect(created.envId).toMatch(/^env-/);
    await eventually(() => published.some((p) => p.topic === "proc-topic" && p.body.includes("COMPUTE_NODE_CREATED") && p.body.includes(created.envId)), 15_000);
    // A graceful stop (state flushed), well before close()'s 5 s SIGKILL fallback.
    const closing = Date.now();
    await emu.close();
    expect(Date.now() - closing).toBeLessThan(3000);
    expect(alive(emu.pid)).toBe(false);
  });

  /** The parent's children, by pid (`pgrep -P`, Linux and macOS; exit 1 when there are none). */
  const childrenOf = (pid: number): number[] => {
    try {
      return execFileSync("pgrep", ["-P", String(pid)], { encoding: "utf8" }).split("\n").map(Number).filter((n) => n > 0);
    } catch {
      return [];
    }
  };

  const startParent = () => {
    const parent = spawn(process.execPath, ["--import", "tsx", join(ROOT, "test", "support", "emulator-parent.ts")], { cwd: ROOT, env: env(), stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    parent.stdout.on("data", (c: Buffer) => {
      out += c.toString("utf8");
    });
    return { parent, output: () => out };
  };

  it("stops when its parent is killed (SIGKILL, the parent alone)", async () => {
    const { parent, output } = startParent();
    const ready = await eventually(() => /ready (\d+)/.exec(output()) ?? undefined, 20_000);
    const pid = Number(ready[1]);
    expect(alive(pid)).toBe(true);
    parent.kill("SIGKILL");
    await eventually(() => !alive(pid), 10_000);
  });

  it("stops when its parent is killed while it is still starting", async () => {
    const { parent, output } = startParent();
    await eventually(() => output().includes("spawned"), 20_000);
    const [pid] = await eventually(() => {
      const c = childrenOf(parent.pid!);
      return c.length > 0 ? c : undefined;
    }, 5000);
    expect(output()).not.toMatch(/ready/);
    parent.kill("SIGKILL");
    await eventually(() => !alive(pid!), 10_000);
  });

  it("fails to start with the reason (the port is taken)", async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const port = (blocker.address() as AddressInfo).port;
    try {
      await expect(startEmulatorProcess({ root: ROOT, env: env({ BATCH_EMULATOR_PORT: String(port) }), publish: () => {}, output: () => {} })).rejects.toThrow(/the Batch emulator did not start: .*EADDRINUSE/);
    } finally {
      blocker.close();
    }
  });
});
