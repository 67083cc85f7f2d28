// Regions as TENCENTCLOUD_REGION names them: `ap-guangzhou`, `ap-shanghai-fsi`, `na-siliconvalley`.
// Every config parser reads the variable with RegionSchema: a missing or malformed region stops
// the function (SCF always sets it; the local stack sets it from serverless.yml).
import * as z from "../zod";

export const REGION = /^[a-z]{2}-[a-z]+(-[a-z]+)?$/;

export const RegionSchema = z
  .string({ error: (i) => (i.input === undefined ? "must be set (SCF sets it)" : undefined) })
  .check(z.regex(REGION, { message: "a region such as ap-guangzhou" }));
