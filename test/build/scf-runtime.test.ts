// The bundles on the Node that SCF's `Nodejs18.15` runtime runs (serverless.yml), not only on
// the Node 20 of this machine: each function, built as deployed, answers a first event that
// makes real Batch calls against the emulator; and the local stack runs its function
// instances on that Node when LOCAL_FUNCTION_NODE names it. The binary comes from scripts/fetch-scf-node.sh
// (.cache/node-18.15.0, or SCF_NODE_BIN); CI fetches it and sets REQUIRE_SCF_NODE=1 so this
// cannot be skipped there.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FunctionPool } from "../../local/stack/function-pool";
import { StackError, startStack } from "../../local/stack/stack";
import { buildFunction, FUNCTIONS } from "../../scripts/bundle";
import { startTestEmulator, TEST_SECRET_ID, TEST_SECRET_KEY, type TestEmulator } from "../support/emulator";
import { SCF_NODE, scfNodeAvailable, scfNodeRequired } from "../support/scf-node";
import { testFunctionConfig } from "../support/function-config";

const ROOT = resolve(__dirname, "..", "..");
const KEY = "scf-runtime-key-0123456789ab";

let t: TestEmulator;
let dir: string;
beforeAll(async () => {
  if (!scfNodeAvailable) return;
  dir = mkdtempSync(join(tmpdir(), "scf-runtime-"));
  // As `npm run build` makes them: the bundle and the OpenAPI documents it serves beside it.
  for (const name of FUNCTIONS) await buildFunction(name, dir);
  t = await startTestEmulator({ exec: false });
}, 60_000);
afterAll(async () => {
  await t?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const http = (method: string, path: string, body?: unknown, query: Record<string, string> = {}) => ({
  httpMethod: method,
  path,
  headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
  body: body === undefined ? "" : JSON.stringify(body),
  queryString: query,
  queryStringParameters: query,
});

/** What SCF would give the functions, pointed at the emulator. */
const functionEnv = (): Record<string, string> => ({
  PATH: process.env.PATH ?? "",
  TENCENTCLOUD_REGION: "ap-guangzhou",
  TENCENTCLOUD_SECRETID: TEST_SECRET_ID,
  TENCENTCLOUD_SECRETKEY: TEST_SECRET_KEY,
  BATCH_ENDPOINT: t.emu.url,
  API_KEYS: `app:${KEY}`,
  COST_REPORT_DEST: "cos://bench-1250000000.cos.ap-guangzhou.myqcloud.com/r/",
  LOG_LEVEL: "error",
});

/** Runs `main_handler(event)` of a bundle in a fresh SCF-Node process; returns its answer. */
async function onScfNode(fn: string, event: unknown): Promise<{ version: string; answer: Record<string, unknown> }> {
  const code = `require(${JSON.stringify(join(dir, fn, "index.js"))}).main_handler(${JSON.stringify(event)},{}).then(r=>process.stdout.write(JSON.stringify({version:process.version,answer:r})))`;
  const { stdout } = await promisify(execFile)(SCF_NODE, ["-e", code], {
    encoding: "utf8",
    env: functionEnv(),
  });
  return JSON.parse(stdout);
}

describe.skipIf(!scfNodeAvailable && !scfNodeRequired)("the bundles on SCF's Node 18.15", () => {
  it("has the binary (scripts/fetch-scf-node.sh)", () => {
    expect(scfNodeAvailable, `no Node 18.15 at ${SCF_NODE}: run scripts/fetch-scf-node.sh`).toBe(true);
  });

  it("jobs: submits the documented example (201) and the job is in Batch; lists jobs", async () => {
    const example = JSON.parse(readFileSync(join(ROOT, "test", "fixtures", "submit-job-documented.json"), "utf8"));
    const sub = await onScfNode("jobs", http("POST", "/jobs", example));
    expect(sub.version).toBe("v18.15.0");
    expect(sub.answer.statusCode).toBe(201);
    const jobId = JSON.parse(sub.answer.body as string).JobId as string;
    expect((await t.port.getJob(jobId)).JobId).toBe(jobId);
    const list = await onScfNode("jobs", http("GET", "/jobs"));
    expect(JSON.parse(list.answer.body as string).Jobs.map((j: { JobId: string }) => j.JobId)).toContain(jobId);
  });

  it("envs: lists envs and serves its OpenAPI document", async () => {
    expect((await onScfNode("envs", http("GET", "/envs"))).answer.statusCode).toBe(200);
    const doc = await onScfNode("envs", http("GET", "/openapi/envs.json"));
    expect(JSON.parse(doc.answer.body as string).openapi).toMatch(/^3\./);
  });

  it("node-abnormal: reads the env an ABNORMAL event names (gone here: skipped, not failed)", async () => {
    const event = JSON.parse(readFileSync(join(ROOT, "test", "fixtures", "cmq-batch-node-event.json"), "utf8"));
    event.Records[0].CMQ.msgBody = event.Records[0].CMQ.msgBody.replace("COMPUTE_NODE_CREATED", "COMPUTE_NODE_ABNORMAL");
    const r = await onScfNode("node-abnormal", event);
    expect(r.answer).toMatchObject({ events: 1, poison: 0, envs: [{ outcome: "env-gone" }] });
  });

  it.each(FUNCTIONS)("%s: loads and evaluates its code on a first event (an HTTP call without a key is answered)", async (fn) => {
    const event = { ...http("GET", "/no-such-path"), headers: {} };
    // The answer on its own last line: a function short of its configuration logs why to stdout first.
    const code = `require(${JSON.stringify(join(dir, fn, "index.js"))}).main_handler(${JSON.stringify(event)},{}).then(r=>process.stdout.write("\\n"+JSON.stringify({version:process.version,answer:r})))`;
    const { stdout } = await promisify(execFile)(SCF_NODE, ["-e", code], { encoding: "utf8", env: functionEnv() });
    const r = JSON.parse(stdout.trim().split("\n").pop()!) as { version: string; answer: { statusCode: number; body: string } };
    expect(r.version).toBe("v18.15.0");
    expect(r.answer.statusCode).toBeGreaterThanOrEqual(400);
    expect(JSON.parse(r.answer.body)).toHaveProperty("code");
  });

  it("cost-report: answers GET /costs from Batch's replies", async () => {
    const r = await onScfNode("cost-report", http("GET", "/costs", undefined, { from: "2026-11-01", to: "2026-11-02" }));
    expect(r.answer.statusCode).toBe(200);
    expect(JSON.parse(r.answer.body as string)).toHaveProperty("window");
  });
});

describe.skipIf(!scfNodeAvailable && !scfNodeRequired)("LOCAL_FUNCTION_NODE: the local stack's instances on SCF's Node", () => {
  it("runs a function instance on the named Node and serves POST /jobs through it", async () => {
    const entryFile = join(dir, "jobs", "index.js");
    const pool = new FunctionPool(
      testFunctionConfig("jobs", entryFile, { scfName: "batch-scf-jobs" }),
      {
        env: functionEnv(),
        region: "ap-guangzhou",
        appId: "1250000000",
        uin: "1",
        maxInstances: 1,
        nodeBin: SCF_NODE,
        output: () => {},
        note: () => {},
      },
    );
    try {
      await pool.warm();
      expect(pool.nodeVersion).toBe("v18.15.0");
      const example = JSON.parse(readFileSync(join(ROOT, "test", "fixtures", "submit-job-documented.json"), "utf8"));
      const out = await pool.invoke(http("POST", "/jobs", example), { requestId: "scf-node-1" });
      expect(out).toMatchObject({ ok: true, value: { statusCode: 201 } });
    } finally {
      await pool.close();
    }
  });
});

describe("LOCAL_FUNCTION_NODE", () => {
  it("stops the stack before anything starts when the binary does not exist", async () => {
    const err = await startStack({ root: ROOT, env: { LOCAL_FUNCTION_NODE: "/nonexistent/node" }, print: () => {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StackError);
    expect((err as Error).message).toMatch(/LOCAL_FUNCTION_NODE: \/nonexistent\/node does not exist \(scripts\/fetch-scf-node\.sh/);
  });
});
