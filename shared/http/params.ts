// Path and query shapes more than one HTTP function takes (envs and autoscale serve routes on an env).
import * as z from "../zod";
import { doc, lazy } from "../zod";
import { ENV_ID } from "../schemas/ids";
import { queryBool } from "./query";
import { DOCS } from "../docs";

/** `{EnvId}` in a path. */
export const EnvParamsSchema = lazy(() => z.object({ EnvId: z.string().check(z.regex(ENV_ID, { message: "an env id looks like env-xxxxxxxx" })) }));

/** `?dryRun=true`: answer what would change, change nothing. */
export const DryRunQuerySchema = lazy(() => z.object({ dryRun: queryBool().check(...doc(DOCS && "true: answer what would change, apply nothing")) }));
