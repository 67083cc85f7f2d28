// Shapes of the ids Batch hands out: job-xxxxxxxx, env-xxxxxxxx, node-xxxxxxxx. Plain patterns:
// each API builds the zod schema it needs (a schema built here would land in every bundle).
export const ENV_ID = /^env-[a-z0-9]{8}$/;
export const JOB_ID = /^job-[a-z0-9]{8}$/;
export const NODE_ID = /^node-[a-z0-9]{8}$/;
