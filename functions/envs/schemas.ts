// Request and answer schemas of the envs API: the checks, and the OpenAPI document's source.
import { z } from "zod";
import { ENV_ID, LIMITS, NODE_ID } from "../../shared/batch/rules";
import { queryBool, queryInt, queryList } from "../../shared/http";

const reason = z.string().min(1).max(200).describe("why: written to the audit line");

export const ScaleBodySchema = z
  .object({
    DesiredComputeNodeCount: z.number().int().min(0).max(LIMITS.desiredNodesMax).optional().describe("the new desired node count"),
    delta: z
      .number()
      .int()
      .min(-LIMITS.desiredNodesMax)
      .max(LIMITS.desiredNodesMax)
      .optional()
      .describe("or: a change relative to the current desired count (+k or -k)"),
    reason: reason.optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if ((b.DesiredComputeNodeCount === undefined) === (b.delta === undefined))
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: [b.DesiredComputeNodeCount === undefined ? "DesiredComputeNodeCount" : "delta"],
        message: "give exactly one of DesiredComputeNodeCount or delta",
      });
  });
export type ScaleBody = z.infer<typeof ScaleBodySchema>;

export const TerminateBodySchema = z
  .object({
    ComputeNodeIds: z
      .array(z.string().regex(NODE_ID, { message: "a node id looks like node-xxxxxxxx" }))
      .min(1)
      .max(100)
      .superRefine((ids, ctx) => {
        ids.forEach((id, i) => {
          if (ids.indexOf(id) !== i) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i], message: `${id} is listed twice` });
        });
      }),
    reason: reason.optional(),
  })
  .strict();

export const ListQuerySchema = z.object({
  zone: queryList(64).describe("zones, repeated or comma-separated (filter zone)"),
  name: queryList(60).describe("env names (filter env-name)"),
  envId: queryList(20).describe("env ids (filter env-id)"),
  tagKey: queryList(127).describe("tag keys (filter tag-key)"),
  tag: queryList(400).describe("tags as key=value (filter tag:<key>)"),
  offset: queryInt(0, 1_000_000).describe("default 0"),
  limit: queryInt(1, LIMITS.pageLimit).describe("default 20, at most 100"),
});

export const DryRunQuerySchema = z.object({ dryRun: queryBool().describe("true: answer what would change, apply nothing") });
export const DeleteQuerySchema = z.object({ force: queryBool().describe("true: delete even while nodes run task instances") });

export const ENV_ID_PATTERN = ENV_ID;

// ── answers (documentation; the code builds them from typed values) ───────────────────

const Counts = z.object({
  running: z.number().int(),
  starting: z.number().int(),
  abnormal: z.number().int(),
  failed: z.number().int(),
  deleting: z.number().int(),
  pending: z.number().int().describe("desired nodes Batch has not started yet"),
});
const Tag = z.object({ Key: z.string(), Value: z.string() });
const EnvSummarySchema = z.object({
  envId: z.string(),
  envName: z.string(),
  zone: z.string(),
  envType: z.string().nullable(),
  createdAt: z.string(),
  nextAction: z.string().nullable(),
  desired: z.number().int(),
  nodes: Counts,
  tags: z.array(Tag),
});
export const EnvListSchema = z.object({
  items: z.array(EnvSummarySchema),
  total: z.number().int(),
  offset: z.number().int(),
  limit: z.number().int(),
});
const NodeSchema = z.object({
  nodeId: z.string(),
  instanceId: z.string().nullable(),
  state: z.string(),
  group: z.enum(["running", "starting", "abnormal", "failed", "deleting"]),
  busy: z.boolean(),
  cores: z.number(),
  memGiB: z.number(),
  instanceType: z.string().nullable(),
  createdAt: z.string().nullable(),
  ageSeconds: z.number().int().nullable(),
  costPerHour: z.number().nullable().describe("null: the instance type has no price"),
  privateIps: z.array(z.string()),
});
export const EnvDetailSchema = EnvSummarySchema.extend({
  instanceTypes: z.array(z.string()),
  cores: z.number(),
  busyCores: z.number(),
  idleCores: z.number(),
  costPerHour: z.number().nullable(),
  currency: z.string(),
  nodeList: z.array(NodeSchema),
  policy: z.record(z.string(), z.unknown()).describe("the guardrail rule that applies to this env"),
});
const Capacity = z.object({
  desired: z.number().int(),
  nodes: z.number().int(),
  cores: z.number(),
  costPerHour: z.number().nullable(),
});
export const ScaleAnswerSchema = z.object({
  envId: z.string(),
  previous: z.number().int().describe("desired count before"),
  next: z.number().int().describe("desired count after"),
  direction: z.enum(["up", "down", "none"]),
  terminate: z.array(z.string()).describe("nodes destroyed (idle first) instead of a blind decrement"),
  terminateBusy: z.array(z.string()),
  before: Capacity.describe("what counts towards desired now"),
  after: Capacity.describe("once Batch has reached the new desired count"),
  warnings: z.array(z.string()),
  lastActivityAt: z.string().nullable().describe("the env's latest node activity: what the cooldown counts from"),
  dryRun: z.boolean(),
  applied: z.boolean(),
});
export const CreateAnswerSchema = z.object({
  envId: z.string(),
  envName: z.string(),
  zone: z.string(),
  desired: z.number().int(),
  instanceTypes: z.array(z.string()),
  clientToken: z.string().nullable(),
  warnings: z.array(z.string()).describe("e.g. an image that is not a known cloud-init image"),
  batchRequestId: z.string(),
});
export const DeleteAnswerSchema = z.object({
  envId: z.string(),
  deleting: z.literal(true),
  previous: z.number().int(),
  interruptedNodes: z.array(z.string()),
  batchRequestId: z.string(),
});
export const TerminateAnswerSchema = z.object({
  envId: z.string(),
  previous: z.number().int(),
  next: z.number().int(),
  terminate: z.array(z.string()),
  busy: z.array(z.string()),
  warnings: z.array(z.string()),
  dryRun: z.boolean(),
  applied: z.boolean(),
});
