import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import Database from "better-sqlite3";
import { ApiError } from "../../local/emulator/context";
import { Store } from "../../local/emulator/store";
import { DEFAULT_STDOUT_FILE, expandFileName, localPathFor } from "../../local/emulator/storage";

const dataDir = mkdtempSync(join(tmpdir(), "batch-storage-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const COS = "cos://bucket-1250000000.cos.ap-guangzhou.myqcloud.com";

function refusal(remote: string, file?: string): ApiError {
  try {
    localPathFor(dataDir, remote, file);
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error(`expected ${remote} ${file ?? ""} to be refused`);
}

describe("localPathFor", () => {
  it.each([
    [`${COS}/logs/`, "out.txt", "cos/bucket-1250000000/logs/out.txt"],
    [`${COS}/a/b/`, "x/y.log", "cos/bucket-1250000000/a/b/x/y.log"],
    [`${COS}/`, "f", "cos/bucket-1250000000/f"],
    ["cfs://10.0.0.1/x/", "f.log", "cfs/10.0.0.1/x/f.log"],
    ["nfs://10.0.0.1/x/", "f.log", "cfs/10.0.0.1/x/f.log"],
    ["cfs://10.66.140.208/", "f", "cfs/10.66.140.208/f"],
  ])("maps %s + %s under the data dir", (remote, file, rel) => {
    expect(localPathFor(dataDir, remote, file)).toBe(join(dataDir, rel));
  });

  it("maps a folder when no file name is given", () => {
    expect(localPathFor(dataDir, `${COS}/logs/`)).toBe(join(dataDir, "cos/bucket-1250000000/logs"));
  });

  it.each([
    ["a parent segment in the file name", `${COS}/logs/`, "../../../etc/passwd"],
    ["a parent segment inside the file name", `${COS}/logs/`, "a/../../b"],
    ["an absolute file name", `${COS}/logs/`, "/etc/passwd"],
    ["an encoded slash", `${COS}/logs/`, "..%2F..%2Fescape"],
    ["an encoded backslash", `${COS}/logs/`, "a%5Cb"],
    ["a lower-case encoded slash", `${COS}/logs/`, "a%2fb"],
    ["a backslash", `${COS}/logs/`, "..\\..\\x"],
    ["a NUL byte", `${COS}/logs/`, "a\u0000b"],
    ["an empty file name", `${COS}/logs/`, ""],
    ["a parent segment in the COS key", `${COS}/logs/../../../`, "f"],
    ["a parent segment in the CFS path", "cfs://10.0.0.1/../../", "f"],
    ["a dot-only CFS host", "cfs://../x/", "f"],
    ["the JSON-API COS domain", "cos://bucket-1250000000.cosgz.myqcloud.com/logs/", "f"],
    ["another scheme", "http://example.com/logs/", "f"],
    ["an encoded parent in the key", `${COS}/%2e%2e/`, "f"],
  ])("refuses %s with InvalidParameterValue.RemoteStoragePath", (_what, remote, file) => {
    const e = refusal(remote, file);
    expect(e.code).toBe("InvalidParameterValue.RemoteStoragePath");
  });

  it("refuses a path that leaves the data dir through a symlink", () => {
    const outside = mkdtempSync(join(tmpdir(), "batch-outside-"));
    try {
      mkdirSync(join(dataDir, "cos", "bucket-1250000000"), { recursive: true });
      symlinkSync(outside, join(dataDir, "cos", "bucket-1250000000", "link"));
      expect(refusal(`${COS}/link/`, "f").code).toBe("InvalidParameterValue.RemoteStoragePath");
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it("names the offending part in the message", () => {
    expect(refusal(`${COS}/logs/`, "../x").message).toContain("../x");
  });
});

describe("expandFileName", () => {
  it("fills the documented placeholders", () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Batch's own placeholder syntax
    expect(expandFileName("${BATCH_JOB_ID}-${BATCH_TASK_NAME}-${BATCH_TASK_INSTANCE_INDEX}.out", { jobId: "job-abcdefgh", taskName: "t1", index: 3 })).toBe(
      "job-abcdefgh-t1-3.out",
    );
  });

  it("has a default that keeps instances of different jobs apart", () => {
    const a = expandFileName(DEFAULT_STDOUT_FILE, { jobId: "job-aaaaaaaa", taskName: "t", index: 0 });
    const b = expandFileName(DEFAULT_STDOUT_FILE, { jobId: "job-bbbbbbbb", taskName: "t", index: 0 });
    expect(a).toBe("job-aaaaaaaa/t/0/stdout.log");
    expect(a).not.toBe(b);
  });
});

describe("the durable store", () => {
  it("keeps records dirty when a flush fails, so the next flush writes them", () => {
    const dir = mkdtempSync(join(tmpdir(), "batch-store-"));
    const store = new Store(dir);
    // Another connection (an operator's sqlite3 shell, say) holds the write lock: the flush's transaction throws.
    const other = new Database(join(dir, "batch-emulator.sqlite"));
    try {
      store.saveToken({ action: "SubmitJob", token: "tok-1", requestHash: "h", resultId: "job-aaaaaaaa", at: 1 });
      other.exec("BEGIN IMMEDIATE");
      expect(() => store.flush()).toThrow(/locked|busy/i);
      other.exec("COMMIT");
      store.flush();
      store.close();
      const reopened = new Store(dir);
      expect(reopened.getToken("SubmitJob", "tok-1")?.resultId).toBe("job-aaaaaaaa");
      reopened.close();
    } finally {
      other.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 15_000);
});
