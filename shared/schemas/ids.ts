// Shapes of the ids Batch hands out: job-xxxxxxxx, env-xxxxxxxx, node-xxxxxxxx.
import { z } from "zod";

export const ENV_ID = /^env-[a-z0-9]{8}$/;
export const JOB_ID = /^job-[a-z0-9]{8}$/;
export const NODE_ID = /^node-[a-z0-9]{8}$/;

export const JobIdSchema = z.string().regex(JOB_ID, { message: "a job id looks like job-xxxxxxxx" });
export const EnvIdSchema = z.string().regex(ENV_ID, { message: "an env id looks like env-xxxxxxxx" });
export const NodeIdSchema = z.string().regex(NODE_ID, { message: "a node id looks like node-xxxxxxxx" });
