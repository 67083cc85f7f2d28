// Inline code uploads: base64 of a zip, checked the way SCF answers and reduced to what the
// emulator keeps (its sha256 and size; the bytes themselves are dropped).
import { createHash } from "node:crypto";
import { fail } from "../validate";

const MiB = 1024 * 1024;
/**
 * Decoded-size limits from the SDK model (scf_models.d.ts v20180416): Code.ZipFile "zip包大小上限为
 * 50MB", UpdateFunctionCode's top-level ZipFile "最大支持20M". Read as MiB of decoded zip; whether
 * SCF counts the base64 text instead is unverified. Tencent's API gateway may also cap the whole
 * request body below these (API 3.0 documents a POST size limit for TC3): the emulator lifts its
 * body cap for SCF so these limits are what a caller meets.
 */
export const ZIP_LIMITS = { code: 50 * MiB, topLevel: 20 * MiB } as const;

const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export interface CodeInfo {
  /** Lower-case hex sha256 of the decoded zip. */
  sha256: string;
  size: number;
}

export function decodeZip(v: unknown, path: string, limitBytes: number): CodeInfo {
  if (typeof v !== "string" || v === "") fail("MissingParameter.Code", path, "is required: a base64-encoded zip");
  if (v.length % 4 !== 0 || !BASE64.test(v))
    fail("InvalidParameterValue.ZipFileBase64BinasciiError", path, "is not valid base64 (Incorrect padding or characters outside A-Z a-z 0-9 + /)");
  const padding = v.endsWith("==") ? 2 : v.endsWith("=") ? 1 : 0;
  const size = (v.length / 4) * 3 - padding;
  if (size > limitBytes)
    fail("InvalidParameterValue.ZipFile", path, `the zip is ${size} bytes; inline uploads are limited to ${limitBytes / MiB} MB (${limitBytes} bytes) — upload larger packages through COS`);
  const bytes = Buffer.from(v, "base64");
  if (bytes.length < ZIP_MAGIC.length || !bytes.subarray(0, ZIP_MAGIC.length).equals(ZIP_MAGIC))
    fail("InvalidParameterValue.ZipFile", path, "is not a standard zip file (it does not start with PK\\x03\\x04); re-compress it and retry");
  return { sha256: createHash("sha256").update(bytes).digest("hex"), size: bytes.length };
}
