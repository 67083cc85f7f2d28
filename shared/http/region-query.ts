// `?region=`: the region an id lives in, or the one a listing is narrowed to: one of the served
// regions (BATCH_REGIONS; shared/batch/across-regions.ts says what each route does without it).
import * as z from "../zod";
import { doc } from "../zod";
import { REGION } from "../schemas/region";
import { queryStr } from "./query";
import { DOCS } from "../docs";

export const regionQuery = (what: string) =>
  queryStr(64).check(z.refine((v) => !v || REGION.test(v), { message: "a region such as ap-guangzhou" }), ...doc(DOCS && what));
