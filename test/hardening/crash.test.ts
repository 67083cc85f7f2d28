// Crash: the emulator as its own process (`node --import tsx local/emulator/main.ts`, one process,
// so SIGKILL hits the server itself), driven by concurrent SubmitJob / CreateComputeEnv /
// ModifyComputeEnv through the real SDK while every acknowledged id and change is recorded;
// `kill -9` mid-load, restart on the same LOCAL_DATA_DIR: nothing acknowledged is lost.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Client as BatchClient } from "tencentcloud-sdk-nodejs/tencentcloud/services/batch/v20170312/batch_client";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = resolve(__dirname, "../..");
const SECRET_ID = "AKIDcrashtest000000000000000000000";
const SECRET_KEY = "crashtestsecretkey00000000000000";

const dataDir = mkdtempSync(join(tmpdir(), "hardening-crash-"));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

/** Starts the emulator process on a free port; resolves with its URL once it says it is ready. */
function startEmulatorProcess(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "local/emulator/main.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      BATCH_EMULATOR_PORT: "0",
      LOCAL_DATA_DIR: dataDir,
      TENCENTCLOUD_SECRETID: SECRET_ID,
      TENCENTCLOUD_SECRETKEY: SECRET_KEY,
      EMULATOR_EXEC: "off",
      EMULATOR_TICK_MS: "20",
      EMULATOR_NODE_SUBMIT_MS: "20",
      EMULATOR_NODE_CREATE_MS: "40",
      EMULATOR_NODE_START_MS: "40",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  return new Promise((ok, fail) => {
    let out = "";
    let err = "";
    const timer = setTimeout(() => fail(new Error(`emulator did not start: ${out}${err}`)), 20_000);
    child.stderr!.on("data", (c: Buffer) => (err += c.toString()));
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /ready on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok({ child, url: m[1]! });
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`emulator exited with ${code}: ${out}${err}`));
    });
  });
}

const sdkFor = (url: string) =>
  new BatchClient({
    credential: { secretId: SECRET_ID, secretKey: SECRET_KEY },
    region: "ap-guangzhou",
    profile: { httpProfile: { endpoint: url.replace(/^http:\/\//, ""), protocol: "http://", reqTimeout: 5 } },
  });

const jobRequest = (i: number) => ({
  Placement: { Zone: "ap-guangzhou-2" },
  Job: {
    JobName: `crash-${i}`,
    Tasks: [{ TaskName: "t1", Application: { DeliveryForm: "LOCAL", Command: "echo" }, ComputeEnv: { EnvType: "MANAGED", EnvData: { InstanceType: "BS1.LARGE8", ImageId: "img-31tjrtph" } } }],
  },
});
const envRequest = (i: number) => ({
  Placement: { Zone: "ap-guangzhou-2" },
  ComputeEnv: { EnvName: `crash-env-${i}`, DesiredComputeNodeCount: 0, EnvData: { InstanceType: "BS1.LARGE8", ImageId: "img-31tjrtph" } },
});

describe("kill -9 under load", () => {
  it("loses no acknowledged job, env or env change across a restart on the same data dir", async () => {
    const first = await startEmulatorProcess();
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:/);
    const sdk = sdkFor(first.url);
    const ackedJobs = new Set<string>();
    const ackedEnvs = new Set<string>();
    /** Per env: the last acknowledged (name, desired) and the change in flight when the process died. */
    const changes = new Map<string, { acked: { name: string; desired: number }; inFlight?: { name: string; desired: number } }>();
    let seq = 0;
    let stop = false;

    const submitter = async () => {
      while (!stop) {
        const i = seq++;
        try {
          const r = await sdk.SubmitJob(jobRequest(i) as never);
          if (r.JobId) ackedJobs.add(r.JobId);
        } catch {
          if (stop) return;
        }
      }
    };
    const creator = async () => {
      while (!stop) {
        const i = seq++;
        let envId: string | undefined;
        try {
          envId = (await sdk.CreateComputeEnv(envRequest(i) as never)).EnvId;
        } catch {
          if (stop) return;
        }
        if (!envId) continue;
        ackedEnvs.add(envId);
        const c: { acked: { name: string; desired: number }; inFlight?: { name: string; desired: number } } = { acked: { name: `crash-env-${i}`, desired: 0 } };
        changes.set(envId, c);
        for (let k = 1; k <= 4 && !stop; k++) {
          const next = { name: `crash-env-${i}-v${k}`, desired: k % 2 };
          c.inFlight = next;
          try {
            await sdk.ModifyComputeEnv({ EnvId: envId, EnvName: next.name, DesiredComputeNodeCount: next.desired } as never);
            c.acked = next;
            c.inFlight = undefined;
          } catch {
            if (stop) return;
            c.inFlight = undefined;
          }
        }
      }
    };

    const load = Promise.all([...Array.from({ length: 6 }, submitter), ...Array.from({ length: 3 }, creator)]);
    // Kill once a good amount has been acknowledged, with requests still in flight.
    const deadline = Date.now() + 15_000;
    while (ackedJobs.size < 150 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    first.child.kill("SIGKILL");
    const exited = new Promise((r) => first.child.once("exit", r));
    stop = true;
    await load;
    await exited;
    expect(first.child.signalCode).toBe("SIGKILL");
    expect(ackedJobs.size).toBeGreaterThanOrEqual(50);
    expect(ackedEnvs.size).toBeGreaterThan(0);
    const modified = [...changes.values()].filter((c) => c.acked.name.includes("-v")).length;
    expect(modified).toBeGreaterThan(0);
    process.stdout.write(`crash: killed after ${ackedJobs.size} jobs, ${ackedEnvs.size} envs, ${modified} envs modified were acknowledged\n`);

    const second = await startEmulatorProcess();
    const after = sdkFor(second.url);
    const jobs = new Set<string>();
    for (let offset = 0; ; offset += 100) {
      const page = await after.DescribeJobs({ Offset: offset, Limit: 100 });
      for (const j of page.JobSet ?? []) jobs.add(j.JobId!);
      if (offset + 100 >= (page.TotalCount ?? 0)) break;
    }
    const lostJobs = [...ackedJobs].filter((id) => !jobs.has(id));
    expect(lostJobs).toEqual([]);

    for (const envId of ackedEnvs) {
      const env = await after.DescribeComputeEnv({ EnvId: envId });
      const c = changes.get(envId)!;
      const seen = { name: env.EnvName, desired: env.DesiredComputeNodeCount };
      // The last acknowledged change survived, or the one in flight (applied, its answer lost).
      expect([c.acked, ...(c.inFlight ? [c.inFlight] : [])], envId).toContainEqual(seen);
    }
    second.child.kill("SIGTERM");
    await new Promise((r) => second.child.once("exit", r));
  }, 60_000);
});
