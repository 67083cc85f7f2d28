// Request and answer schemas of the envs API: the checks, and the OpenAPI document's source.
import { z } from "zod";
import { ENV_ID, NODE_ID } from "../../shared/schemas/ids";
import { LIMITS } from "../../shared/schemas/limits";
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
  tag: queryList(400).describe("`key=value` (filter tag:<key>) or `key` (filter tag-key); repeat to AND"),
  offset: queryInt(0, 1_000_000).describe("default 0"),
  limit: queryInt(1, LIMITS.pageLimit).describe("default 20, at most 100"),
});

export const DryRunQuerySchema = z.object({ dryRun: queryBool().describe("true: answer what would change, apply nothing") });
export const DeleteQuerySchema = z.object({ force: queryBool().describe("true: delete even while nodes run task instances") });

export const ENV_ID_PATTERN = ENV_ID;

// ── answers (documentation; the code builds them from typed values) ───────────────────

const Warnings = z.array(z.object({ path: z.string(), message: z.string() }));
const Counts = z.object({
  Running: z.number().int(),
  Starting: z.number().int().describe("SUBMITTED, PENDING, CREATING or CREATED"),
  Abnormal: z.number().int(),
  Failed: z.number().int().describe("CREATION_FAILED"),
  Deleting: z.number().int(),
  Pending: z.number().int().describe("desired nodes Batch has not started yet"),
});
const Tag = z.object({ Key: z.string(), Value: z.string() });
const EnvSummarySchema = z.object({
  EnvId: z.string(),
  EnvName: z.string(),
  Zone: z.string(),
  EnvType: z.string().nullable(),
  CreateTime: z.string(),
  NextAction: z.string().nullable().describe("DELETING while the env is being deleted"),
  DesiredComputeNodeCount: z.number().int(),
  NodeCounts: Counts,
  Tags: z.array(Tag),
});
export const EnvListSchema = z.object({
  Envs: z.array(EnvSummarySchema),
  TotalCount: z.number().int(),
  Offset: z.number().int(),
  Limit: z.number().int(),
  NextOffset: z.number().int().nullable().describe("offset of the next page, null on the last"),
});
const NodeSchema = z.object({
  ComputeNodeId: z.string(),
  ComputeNodeInstanceId: z.string().nullable(),
  ComputeNodeState: z.string(),
  Group: z.enum(["running", "starting", "abnormal", "failed", "deleting"]),
  Busy: z.boolean().describe("RUNNING or ABNORMAL with TaskInstanceNumAvailable 0"),
  Cpu: z.number(),
  Mem: z.number(),
  InstanceType: z.string().nullable(),
  ResourceCreatedTime: z.string().nullable(),
  AgeSeconds: z.number().int().nullable(),
  CostPerHour: z.number().nullable().describe("null: the instance type has no price"),
  PrivateIpAddresses: z.array(z.string()),
});
export const EnvDetailSchema = EnvSummarySchema.extend({
  InstanceTypes: z.array(z.string()),
  Cores: z.number(),
  BusyCores: z.number(),
  IdleCores: z.number(),
  CostPerHour: z.number().nullable(),
  Currency: z.string(),
  ComputeNodes: z.array(NodeSchema),
  Policy: z.record(z.string(), z.unknown()).describe("the guardrail rule that applies to this env"),
});
const Capacity = z.object({
  DesiredComputeNodeCount: z.number().int(),
  Nodes: z.number().int(),
  Cores: z.number(),
  CostPerHour: z.number().nullable(),
});
export const ScaleAnswerSchema = z.object({
  EnvId: z.string(),
  PreviousDesiredComputeNodeCount: z.number().int(),
  DesiredComputeNodeCount: z.number().int(),
  Direction: z.enum(["up", "down", "none"]),
  TerminateNodes: z.array(z.string()).describe("nodes destroyed (idle first) instead of a blind decrement"),
  BusyNodes: z.array(z.string()).describe("busy nodes among them (only when too few idle ones remain)"),
  Before: Capacity.describe("what counts towards desired now"),
  After: Capacity.describe("once Batch has reached the new desired count"),
  Warnings,
  LastActivityTime: z.string().nullable().describe("the env's latest node activity: what the cooldown counts from"),
  DryRun: z.boolean(),
  Applied: z.boolean(),
  RequestIds: z.array(z.string()).describe("Batch's RequestIds of the calls made"),
});
export const CreateAnswerSchema = z.object({
  EnvId: z.string(),
  EnvName: z.string(),
  Zone: z.string(),
  DesiredComputeNodeCount: z.number().int(),
  InstanceTypes: z.array(z.string()),
  ClientToken: z.string().nullable().describe("the ClientToken sent to Batch: bscf- + 59 hex digits of sha256(caller, Idempotency-Key)"),
  Creator: z.string().describe("the API key's name"),
  Replayed: z.boolean().describe("true when an earlier request with the same Idempotency-Key created the env (nothing was created)"),
  Warnings: Warnings.describe("e.g. an image that is not a known cloud-init image"),
  RequestId: z.string().optional().describe("Batch's RequestId of the CreateComputeEnv call (absent on a replay)"),
});
export const DeleteAnswerSchema = z.object({
  EnvId: z.string(),
  Action: z.literal("delete"),
  NextAction: z.literal("DELETING"),
  PreviousDesiredComputeNodeCount: z.number().int(),
  InterruptedNodes: z.array(z.string()),
  RequestId: z.string(),
});
export const TerminateAnswerSchema = z.object({
  EnvId: z.string(),
  Action: z.literal("terminate-nodes"),
  PreviousDesiredComputeNodeCount: z.number().int(),
  DesiredComputeNodeCount: z.number().int(),
  ComputeNodeIds: z.array(z.string()),
  BusyNodes: z.array(z.string()),
  Warnings,
  DryRun: z.boolean(),
  Applied: z.boolean(),
  RequestIds: z.array(z.string()),
});
