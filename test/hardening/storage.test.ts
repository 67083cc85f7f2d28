// Local storage escapes, beyond the tables in test/emulator/storage.test.ts and
// test/cost-report/report-store.test.ts: generated hostile paths (property tests) for the
// emulator's cos:// / cfs:// mapping and the report store, and the escape attempts end to end
// (jobs API → SDK → emulator running the task) with nothing written outside the data dir.
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve, sep } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeHandler as makeJobsHandler } from "../../functions/jobs/entry";
import { ApiError } from "../../local/emulator/context";
import { expandFileName, localPathFor, PLACEHOLDERS } from "../../local/emulator/storage";
import { parseApiKeys } from "../../shared/http";
import { memoryLogger } from "../../shared/log";
import { createFsReportStore } from "../../shared/report-store";
import { eventually, startTestEmulator, type TestEmulator } from "../support/emulator";
import { expectWellFormed, fuzzParams, fuzzRuns, httpEvent } from "../support/fuzz";
import { fastPort } from "./support";

const RUNS = fuzzRuns(300);
const { jobId: JOB, taskName: TASK, index: INDEX } = PLACEHOLDERS;
const COS = "cos://bucket-1250000000.cos.ap-guangzhou.myqcloud.com";
const inside = (base: string, p: string) => {
  const rel = relative(resolve(base), resolve(p));
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !rel.startsWith(sep));
};

/** Path pieces that try to leave a folder, plain and disguised. */
const segment = fc.oneof(
  fc.constantFrom("..", ".", "...", "%2e%2e", "%2E%2E", "%252e%252e", ".%2e", "%2f", "%5c", "..\\..", "\u0000", "", "/", "//", "~", "$HOME", JOB, "..\u2215..", "．．", "a", "logs"),
  fc.string({ maxLength: 8 }),
  fc.string({ unit: "binary", maxLength: 6 }),
);
const pathOf = fc.array(segment, { maxLength: 6 }).chain((segs) => fc.tuple(fc.constant(segs), fc.constantFrom("/", "\\", "%2f", "/./"))).map(([segs, sep]) => segs.join(sep));

const walk = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)])) : []);

describe("the emulator's cos:// and cfs:// mapping, with generated paths", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "hardening-storage-"));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("maps inside the data dir or refuses with RemoteStoragePath, for any remote path and file name", () => {
    fc.assert(
      fc.property(fc.constantFrom(`${COS}/`, "cfs://10.0.0.1/", "nfs://fs.local/", "cfs://", "cos://"), pathOf, fc.option(pathOf, { nil: undefined }), (root, p, file) => {
        const remote = `${root}${p}${p.endsWith("/") ? "" : "/"}`;
        try {
          const local = localPathFor(dataDir, remote, file);
          expect(inside(dataDir, local), `${remote} + ${file} → ${local}`).toBe(true);
        } catch (e) {
          expect(e, `${remote} + ${file}`).toBeInstanceOf(ApiError);
          expect((e as ApiError).code).toBe("InvalidParameterValue.RemoteStoragePath");
        }
      }),
      fuzzParams(RUNS),
    );
  });

  it("keeps placeholders from smuggling a parent segment in: a task name of .. is refused once expanded", () => {
    fc.assert(
      fc.property(segment, (taskName) => {
        const file = expandFileName(`${JOB}/${TASK}/${INDEX}/stdout.log`, { jobId: "job-aaaaaaaa", taskName, index: 0 });
        try {
          expect(inside(dataDir, localPathFor(dataDir, `${COS}/logs/`, file))).toBe(true);
        } catch (e) {
          expect(e).toBeInstanceOf(ApiError);
        }
      }),
      fuzzParams(RUNS),
    );
  });
});

describe("the report store's local COS folder, with generated keys", () => {
  const baseDir = mkdtempSync(join(tmpdir(), "hardening-report-store-"));
  const outside = mkdtempSync(join(tmpdir(), "hardening-report-outside-"));
  afterAll(() => {
    rmSync(baseDir, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it("writes under its destination or refuses with report_store.bad_key", async () => {
    const store = createFsReportStore({ dest: `${COS}/reports/`, baseDir });
    await fc.assert(
      fc.asyncProperty(pathOf, async (key) => {
        try {
          await store.put(key, "x", "text/plain");
        } catch (e) {
          // A refusal, or the file system refusing a name that collides with an earlier one (a folder): never a write elsewhere.
          expect(["report_store.bad_key", "EISDIR", "ENOTDIR", "EEXIST"], JSON.stringify(key)).toContain((e as { code?: string }).code);
        }
      }),
      fuzzParams(RUNS),
    );
    for (const f of walk(baseDir)) expect(inside(join(baseDir, "bucket-1250000000", "reports"), f), f).toBe(true);
    expect(walk(outside)).toEqual([]);
  });
});

describe("escapes end to end: jobs API → SDK → emulator running the task", () => {
  const WRITER = "storage-writer-key-0123456789";
  let t: TestEmulator;
  let submit: (task: Record<string, unknown>) => Promise<{ status: number; json: Record<string, unknown> }>;
  beforeAll(async () => {
    t = await startTestEmulator({ exec: true });
    const handler = makeJobsHandler({ batch: fastPort(t), region: "ap-guangzhou", keys: parseApiKeys(`w:${WRITER}`), logger: memoryLogger() });
    submit = async (task) => {
      const res = await handler(
        httpEvent("function-url", {
          method: "POST",
          path: "/jobs",
          headers: { authorization: `Bearer ${WRITER}` },
          body: JSON.stringify({
            Placement: { Zone: "ap-guangzhou-2" },
            Job: {
              JobName: "escape",
              Tasks: [
                {
                  TaskName: "t1",
                  Application: { DeliveryForm: "LOCAL", Command: "echo escaped" },
                  ComputeEnv: { EnvType: "MANAGED", EnvData: { InstanceType: "BS1.LARGE8", ImageId: "img-31tjrtph" } },
                  ...task,
                },
              ],
            },
          }),
        }),
      );
      return expectWellFormed(res, JSON.stringify(task));
    };
  });
  afterAll(() => t?.stop());

  it.each([
    ["a file name with parent segments", { RedirectInfo: { StdoutRedirectPath: `${COS}/logs/`, StdoutRedirectFileName: "../../../../escape.log" } }],
    ["an absolute file name", { RedirectInfo: { StdoutRedirectPath: `${COS}/logs/`, StdoutRedirectFileName: "/tmp/escape.log" } }],
    ["an encoded separator in the file name", { RedirectInfo: { StdoutRedirectPath: `${COS}/logs/`, StdoutRedirectFileName: "..%2f..%2fescape.log" } }],
    ["a parent segment in the COS path", { RedirectInfo: { StdoutRedirectPath: `${COS}/logs/../../../` } }],
    ["an encoded parent in the CFS path", { RedirectInfo: { StderrRedirectPath: "cfs://10.0.0.1/%2e%2e/%2e%2e/" } }],
    ["a task name of .. expanded into the default file name", { TaskName: "..", RedirectInfo: { StdoutRedirectPath: `${COS}/logs/` } }],
    ["a task name placeholder in the file name", { TaskName: "..", RedirectInfo: { StdoutRedirectPath: `${COS}/logs/`, StdoutRedirectFileName: `${TASK}/${TASK}/x.log` } }],
    ["a parent segment in an output mapping", { OutputMappings: [{ SourcePath: "/data/out/", DestinationPath: `${COS}/../../` }] }],
  ])("refuses %s with 400 naming the field, and writes nothing", async (_what, task) => {
    const before = walk(t.dataDir).length;
    const r = await submit(task);
    expect(r.status, JSON.stringify(r.json)).toBe(400);
    // Our checks name the field in errors[].path; when Batch is the one refusing, its message names it (detail).
    const named = `${(r.json.errors as Array<{ path: string }>).map((e) => e.path).join(" ")} ${String(r.json.detail)}`;
    expect(named).toMatch(/Job\.Tasks(\[0\]|\.0)\.(RedirectInfo\.\w+|OutputMappings\[0\]\.DestinationPath|TaskName)/);
    expect(walk(t.dataDir).length).toBe(before);
  });

  it("runs a job whose output is redirected to COS and writes it inside the data dir only", async () => {
    const r = await submit({ RedirectInfo: { StdoutRedirectPath: `${COS}/logs/`, StdoutRedirectFileName: `${JOB}/out.log` } });
    expect(r.status).toBe(201);
    const jobId = r.json.JobId as string;
    await eventually(async () => (await t.port.getJob(jobId)).JobState === "SUCCEED", 15_000);
    const written = walk(t.dataDir).filter((f) => f.includes(jobId));
    expect(written.map((f) => relative(t.dataDir, f))).toEqual([join("cos", "bucket-1250000000", "logs", jobId, "out.log")]);
  });
});
