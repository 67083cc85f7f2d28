import { describe, expect, it } from "vitest";
import { checkInstanceZone } from "../../shared/schemas/instance-types";
import { normalizeEventName } from "../../shared/schemas/notifications";
import { checkCfsPath, checkCosPath } from "../../shared/schemas/paths";
import { regionOfZone } from "../../shared/schemas/zone";

describe("COS path rules (batch-facts §4)", () => {
  it.each([
    ["cos://bucket-1250000000.cos.ap-guangzhou.myqcloud.com/logs/", "ap-guangzhou", true],
    ["cos://testbatch-1252462967.cos.ap-beijing-1.myqcloud.com/", "ap-beijing-1", true],
    // batch-facts §4 example, for a job in zone ap-beijing-1 (region ap-beijing)
    ["cos://testbatch-1252462967.cos.ap-beijing-1.myqcloud.com/", "ap-beijing", true],
    ["cos://bucket-1250000000.cos.ap-guangzhou.myqcloud.com/logs", "ap-guangzhou", false],
    ["cos://bucket-1250000000.cosgz.myqcloud.com/logs/", "ap-guangzhou", false],
    ["http://bucket-1250000000.cos.ap-guangzhou.myqcloud.com/logs/", "ap-guangzhou", false],
    ["cos://bucket-1250000000.cos.ap-shanghai.myqcloud.com/logs/", "ap-guangzhou", false],
    ["cos://bucket-1250000000.cos.ap-guangzhou.myqcloud.com/a/../b/", "ap-guangzhou", false],
  ])("%s in %s → %s", (path, region, ok) => {
    expect(checkCosPath(path, region).ok).toBe(ok);
  });

  it("names the rule that failed", () => {
    const r = checkCosPath("cos://bucket-1250000000.costj.myqcloud.com/x/");
    expect(r.ok ? "" : r.rule).toMatch(/XML-API domain/);
    const r2 = checkCosPath("cos://bucket-1250000000.cos.ap-shanghai.myqcloud.com/x/", "ap-guangzhou");
    expect(r2.ok ? "" : r2.rule).toMatch(/region ap-shanghai must equal the job's region ap-guangzhou/);
  });
});

describe("CFS/NAS path rules", () => {
  it.each([
    ["cfs://10.66.140.208/", true],
    ["nfs://10.66.140.208/data/", true],
    ["cfs://10.66.140.208", false],
    ["cfs://10.66.140.208/data", false],
    ["smb://10.66.140.208/", false],
  ])("%s → %s", (path, ok) => {
    expect(checkCfsPath(path).ok).toBe(ok);
  });
});

describe("instance types and zones", () => {
  it("sells BS1 only in ap-guangzhou-2 and ap-shanghai-1", () => {
    expect(checkInstanceZone("BS1.LARGE8", "ap-guangzhou-2")).toBeUndefined();
    expect(checkInstanceZone("BS1.LARGE48", "ap-shanghai-1")).toBeUndefined();
    expect(checkInstanceZone("BS1.LARGE8", "ap-guangzhou-3")).toMatch(/only in ap-guangzhou-2 and ap-shanghai-1/);
    expect(checkInstanceZone("S1.SMALL1", "ap-guangzhou-3")).toBeUndefined();
    expect(checkInstanceZone("X9.HUGE", "ap-guangzhou-2")).toMatch(/unknown instance type X9.HUGE/);
  });
  it("derives the region of a zone", () => {
    expect(regionOfZone("ap-guangzhou-2")).toBe("ap-guangzhou");
    expect(regionOfZone("ap-shanghai-1")).toBe("ap-shanghai");
  });
});

describe("event names", () => {
  it.each([
    ["JOB_FAILED", "JOB_FAILED"],
    ["JobFailed", "JOB_FAILED"],
    ["JobSucceed", "JOB_SUCCEED"],
    ["computeNodeAbnormal", "COMPUTE_NODE_ABNORMAL"],
    ["task_instance_failed_interrupted", "TASK_INSTANCE_FAILED_INTERRUPTED"],
    ["JOB_EXPLODED", undefined],
  ])("%s → %s", (given, want) => {
    expect(normalizeEventName(given)).toBe(want);
  });
});

describe("issuesFromZod", () => {
  it("names an unknown field at its own path", async () => {
    const { z } = await import("zod");
    const { issuesFromZod } = await import("../../shared/errors");
    const r = z.object({ Job: z.object({ Tasks: z.array(z.object({ TaskName: z.string() }).strict()) }).strict() }).strict().safeParse({ Job: { Tasks: [{ TaskName: "a", Comand: "x" }] }, Extra: 1 });
    expect(r.success).toBe(false);
    if (!r.success) expect(issuesFromZod(r.error.issues).map((i) => i.path).sort()).toEqual(["Extra", "Job.Tasks[0].Comand"]);
  });
});

describe("joinPath", () => {
  it("quotes keys that are not plain names, so no field is reported at the empty path", async () => {
    const { joinPath } = await import("../../shared/errors");
    expect(joinPath("", ["Job", "Tasks", 0, "TaskName"])).toBe("Job.Tasks[0].TaskName");
    expect(joinPath("", [""])).toBe('[""]');
    expect(joinPath("query", ["limit"])).toBe("query.limit");
    expect(joinPath("", ["Tags", "a b", "__proto__"])).toBe('Tags["a b"].__proto__');
  });
});
