// Regions as TENCENTCLOUD_REGION names them: `ap-guangzhou`, `ap-shanghai-fsi`, `na-siliconvalley`.
// Every config parser reads the variable with RegionSchema: a missing or malformed region stops
// the function (SCF always sets it; the local stack sets it from serverless.yml).
import { z } from "zod";

export const REGION = /^[a-z]{2}-[a-z]+(-[a-z]+)?$/;

export const RegionSchema = z
  .string({ required_error: "must be set (SCF sets it)" })
  .regex(REGION, { message: "a region such as ap-guangzhou" });
