import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundle } from "../../scripts/bundle";
import { startTestEmulator, TEST_SECRET_ID, TEST_SECRET_KEY, type TestEmulator } from "../support/emulator";

let t: TestEmulator;
let dir: string;
beforeAll(async () => {
  t = await startTestEmulator();
  dir = mkdtempSync(join(tmpdir(), "bundle-"));
  const built = await bundle(join(__dirname, "probe-entry.ts"), join(dir, "build", "index.js"));
  // An empty folder with only the bundle: no node_modules to fall back on, as on SCF.
  copyFileSync(built.file, join(dir, "index.js"));
});
afterAll(async () => {
  await t.stop();
  rmSync(dir, { recursive: true, force: true });
});

// Async: the emulator runs in this process and must keep answering while the child waits.
const invoke = async (action: string, env: Record<string, string>) => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["-e", `require("./index.js").main_handler({action:${JSON.stringify(action)}}).then(r=>process.stdout.write(JSON.stringify(r)))`],
    { cwd: dir, env: { PATH: process.env.PATH ?? "", ...env }, encoding: "utf8" },
  );
  return JSON.parse(stdout);
};

describe("the bundled Batch client (shimmed SDK, no node_modules)", () => {
  const env = () => ({
    BATCH_ENDPOINT: t.emu.url,
    TENCENTCLOUD_REGION: "ap-guangzhou",
    TENCENTCLOUD_SECRETID: TEST_SECRET_ID,
    TENCENTCLOUD_SECRETKEY: TEST_SECRET_KEY,
  });

  it("signs requests the emulator accepts", async () => {
    const r = await invoke("list", env());
    expect(r).toMatchObject({ total: 0, items: [] });
  });

  it("surfaces Tencent's error code and RequestId", async () => {
    const r = await invoke("missing", { ...env(), TENCENTCLOUD_SECRETKEY: "wrong" });
    expect(r.tencentCode).toBe("AuthFailure.SignatureFailure");
    expect(r.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.status).toBe(502);
  });

  it("loads a function without evaluating its code: that waits for the first event", async () => {
    const built = await bundle(join(__dirname, "..", "..", "functions", "envs", "index.ts"), join(dir, "envs", "index.js"));
    // zod sets its global configuration when it is evaluated: a marker of the function's code having run.
    const code = `const m=require(${JSON.stringify(built.file)});const out=[typeof m.main_handler,typeof globalThis.__zod_globalConfig];m.main_handler({},{}).catch(()=>{}).then(()=>{out.push(typeof globalThis.__zod_globalConfig);process.stderr.write(out.join(","))})`;
    // (The function logs its configuration error to stdout; the probe answers on stderr.)
    const { stderr } = await promisify(execFile)(process.execPath, ["-e", code], { cwd: dir, env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "error" }, encoding: "utf8" });
    expect(stderr).toBe("function,undefined,object");
  });

  it("refuses a module bundled both beside the lazy entry and in it (it would have two states)", async () => {
    await expect(bundle(join(__dirname, "lazy-twice", "index.ts"), join(dir, "twice", "index.js"))).rejects.toThrow(
      /bundled both beside the lazy entry and in it \(two instances\): shared\/log\.ts/,
    );
  });

  it("carries only the Batch operations and reply schemas a function's port lists (job-notify: getJob)", async () => {
    const built = await bundle(join(__dirname, "..", "..", "functions", "job-notify", "index.ts"), join(dir, "job-notify", "index.js"));
    const text = readFileSync(built.file, "utf8");
    // DescribeJob's reply (JobDetailSchema) is there; DescribeComputeEnvActivities' and DescribeTaskLogs' are not.
    expect(text).toContain("DependenceSet");
    expect(text).not.toMatch(/ComputeNodeActivityType|TaskInstanceLogSet|ComputeNodeSet/);
    // Nor the SDK's generated batch client (its methods are the common client's request(action)).
    expect(text).not.toContain("DescribeAvailableCvmInstanceTypes");
  });

  it("does not carry the SDK's polyfills", () => {
    const text = readFileSync(join(dir, "index.js"), "utf8");
    expect(text).not.toMatch(/whatwg-url|mime-db|bignumber\.js/);
    expect(text.length).toBeLessThan(150 * 1024);
  });
});
