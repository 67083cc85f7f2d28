// Request and answer schemas of the envs API: the checks, and the OpenAPI document's source.
import * as z from "../../shared/zod";
import { doc, lazy } from "../../shared/zod";
import { NODE_ID } from "../../shared/schemas/ids";
import { LIMITS } from "../../shared/schemas/limits";
import { tagFiltersCheck } from "../../shared/schemas/tags";
import { queryBool, queryInt, queryList, queryStr } from "../../shared/http";
import { DryRunQuerySchema } from "../../shared/http/params";
import { regionQuery } from "../../shared/http/region-query";
import { DOCS } from "../../shared/docs";

const reason = z.string().check(z.minLength(1), z.maxLength(200), ...doc(DOCS && "why: written to the audit line"));

export const ScaleBodySchema = z
  .strictObject({
    DesiredComputeNodeCount: z.optional(z.integer().check(z.gte(0), z.lte(LIMITS.desiredNodesMax))).check(...doc(DOCS && "the new desired node count")),
    delta: z
      .optional(z.integer().check(z.gte(-LIMITS.desiredNodesMax), z.lte(LIMITS.desiredNodesMax)))
      .check(...doc(DOCS && "or: a change relative to the current desired count (+k or -k)")),
    reason: z.optional(reason),
  })
  .check(
    z.superRefine((b, ctx) => {
      if ((b.DesiredComputeNodeCount === undefined) === (b.delta === undefined))
        ctx.addIssue({
          code: "custom",
          path: [b.DesiredComputeNodeCount === undefined ? "DesiredComputeNodeCount" : "delta"],
          message: "give exactly one of DesiredComputeNodeCount or delta",
        });
    }),
  );
export type ScaleBody = z.infer<typeof ScaleBodySchema>;

export const TerminateBodySchema = lazy(() =>
  z.strictObject({
    ComputeNodeIds: z.array(z.string().check(z.regex(NODE_ID, { message: "a node id looks like node-xxxxxxxx" }))).check(
      z.minLength(1),
      z.maxLength(100),
      z.superRefine((ids, ctx) => {
        ids.forEach((id, i) => {
          if (ids.indexOf(id) !== i) ctx.addIssue({ code: "custom", path: [i], message: `${id} is listed twice` });
        });
      }),
    ),
    reason: z.optional(reason),
  }),
);

export const ListQuerySchema = lazy(() =>
  z.object({
    zone: queryList(64, LIMITS.filterValues).check(...doc(DOCS && "zones, repeated or comma-separated (filter zone)")),
    name: queryList(60, LIMITS.filterValues).check(...doc(DOCS && "env names (filter env-name)")),
    envId: queryList(20, LIMITS.filterValues).check(...doc(DOCS && "env ids (filter env-id)")),
    tag: queryList(400).check(tagFiltersCheck(), ...doc(DOCS && `\`key=value\` (filter tag:<key>) or \`key\` (filter tag-key); repeat to AND (at most ${LIMITS.filters} filters in all)`)),
    region: regionQuery("only this served region (zones narrow to theirs too)"),
    cursor: queryStr(1024).check(...doc(DOCS && "NextCursor of the previous page: per-region offsets (the way to page across regions)")),
    offset: queryInt(0, 1_000_000).check(...doc(DOCS && "first env of the page when the listing covers one region (default 0)")),
    limit: queryInt(1, LIMITS.pageLimit).check(...doc(DOCS && "default 20, at most 100")),
  }),
);

const envRegion = () => regionQuery("the env's region; without it the env is looked up in every served region (BATCH_REGIONS)");
export const EnvQuerySchema = lazy(() => z.object({ region: envRegion() }));
/** `?dryRun=` and `?region=`: scale and node terminate. */
export const ActionQuerySchema = lazy(() => z.extend(DryRunQuerySchema._zod.innerType, { region: envRegion() }));
export const DeleteQuerySchema = lazy(() =>
  z.object({ force: queryBool().check(...doc(DOCS && "true: delete even while nodes run task instances")), region: envRegion() }),
);

// ── answers (documentation; the code builds them from typed values) ───────────────────
// The routes name them only under DOCS (./routes.ts); marked pure, so a bundle drops them.

const Warnings = z.array(z.object({ path: z.string(), message: z.string() }));
const Counts = z.object({
  Running: z.integer(),
  Starting: z.integer().check(...doc(DOCS && "SUBMITTED, PENDING, CREATING or CREATED")),
  Abnormal: z.integer(),
  Failed: z.integer().check(...doc(DOCS && "CREATION_FAILED")),
  Deleting: z.integer(),
  Pending: z.integer().check(...doc(DOCS && "desired nodes Batch has not started yet")),
});
const Tag = z.object({ Key: z.string(), Value: z.string() });
const EnvSummarySchema = /* @__PURE__ */ lazy(() =>
  z.object({
    EnvId: z.string(),
    Region: z.string(),
    EnvName: z.string(),
    Zone: z.string(),
    EnvType: z.nullable(z.string()),
    CreateTime: z.string(),
    NextAction: z.nullable(z.string()).check(...doc(DOCS && "DELETING while the env is being deleted")),
    DesiredComputeNodeCount: z.integer(),
    NodeCounts: Counts,
    Tags: z.array(Tag),
    Creator: z.nullable(z.string()).check(...doc(DOCS && "tag batch-scf/creator: the API key that created it; null: made elsewhere")),
  }),
);
export const EnvListSchema = /* @__PURE__ */ lazy(() =>
  z.object({
    Envs: z.array(EnvSummarySchema),
    TotalCount: z.integer(),
    Offset: z.integer(),
    Limit: z.integer(),
    NextOffset: z
      .nullable(z.integer())
      .check(...doc(DOCS && "offset of the next page, null on the last (across several regions: the page's position, page on with NextCursor)")),
    NextCursor: z.nullable(z.string()).check(...doc(DOCS && "pass as ?cursor= for the next page (any listing), null on the last")),
  }),
);
const NodeSchema = /* @__PURE__ */ lazy(() =>
  z.object({
    ComputeNodeId: z.string(),
    ComputeNodeInstanceId: z.nullable(z.string()),
    ComputeNodeState: z.string(),
    Group: z.enum(["running", "starting", "abnormal", "failed", "deleting"]),
    Busy: z.boolean().check(...doc(DOCS && "RUNNING or ABNORMAL with TaskInstanceNumAvailable 0")),
    Cpu: z.number(),
    Mem: z.number(),
    InstanceType: z.nullable(z.string()),
    ResourceCreatedTime: z.nullable(z.string()),
    AgeSeconds: z.nullable(z.integer()),
    CostPerHour: z.nullable(z.number()).check(...doc(DOCS && "null: the instance type has no price")),
    PrivateIpAddresses: z.array(z.string()),
  }),
);
export const EnvDetailSchema = /* @__PURE__ */ lazy(() =>
  z.extend(EnvSummarySchema._zod.innerType, {
    InstanceTypes: z.array(z.string()),
    Cores: z.number(),
    BusyCores: z.number(),
    IdleCores: z.number(),
    CostPerHour: z.nullable(z.number()),
    Currency: z.string(),
    ComputeNodes: z.array(NodeSchema),
    Policy: z.record(z.string(), z.unknown()).check(...doc(DOCS && "the guardrail rule that applies to this env")),
  }),
);
const Capacity = z.object({
  DesiredComputeNodeCount: z.integer(),
  Nodes: z.integer(),
  Cores: z.number(),
  CostPerHour: z.nullable(z.number()),
});
export const ScaleAnswerSchema = /* @__PURE__ */ lazy(() =>
  z.object({
    EnvId: z.string(),
    Region: z.string(),
    PreviousDesiredComputeNodeCount: z.integer(),
    DesiredComputeNodeCount: z.integer(),
    Direction: z.enum(["up", "down", "none"]),
    TerminateNodes: z.array(z.string()).check(...doc(DOCS && "nodes destroyed (idle first) instead of a blind decrement")),
    BusyNodes: z.array(z.string()).check(...doc(DOCS && "busy nodes among them (only when too few idle ones remain)")),
    Before: Capacity.check(...doc(DOCS && "what counts towards desired now")),
    After: Capacity.check(...doc(DOCS && "once Batch has reached the new desired count")),
    Warnings,
    LastActivityTime: z.nullable(z.string()).check(...doc(DOCS && "the env's latest change of size (not Batch's own RECREATE, not its creation): what the cooldown counts from")),
    DryRun: z.boolean(),
    Applied: z.boolean(),
    RequestIds: z.array(z.string()).check(...doc(DOCS && "Batch's RequestIds of the calls made")),
  }),
);
export const CreateAnswerSchema = /* @__PURE__ */ lazy(() =>
  z.object({
    EnvId: z.string(),
    Region: z.string().check(...doc(DOCS && "the region of Placement.Zone, where the env was created")),
    EnvName: z.string(),
    Zone: z.string(),
    DesiredComputeNodeCount: z.integer(),
    InstanceTypes: z.array(z.string()),
    ClientToken: z.nullable(z.string()).check(...doc(DOCS && "the ClientToken sent to Batch: bscf- + 59 hex digits of sha256(caller, Idempotency-Key)")),
    Creator: z.string().check(...doc(DOCS && "the API key's name")),
    Replayed: z.boolean().check(...doc(DOCS && "true when an earlier request with the same Idempotency-Key created the env (nothing was created)")),
    Warnings: Warnings.check(...doc(DOCS && "e.g. an image that is not a known cloud-init image")),
    RequestId: z.optional(z.string()).check(...doc(DOCS && "Batch's RequestId of the CreateComputeEnv call (absent on a replay)")),
  }),
);
export const DeleteAnswerSchema = /* @__PURE__ */ lazy(() =>
  z.object({
    EnvId: z.string(),
    Region: z.string(),
    Action: z.literal("delete"),
    NextAction: z.literal("DELETING"),
    PreviousDesiredComputeNodeCount: z.integer(),
    InterruptedNodes: z.array(z.string()),
    RequestId: z.string(),
  }),
);
export const TerminateAnswerSchema = /* @__PURE__ */ lazy(() =>
  z.object({
    EnvId: z.string(),
    Region: z.string(),
    Action: z.literal("terminate-nodes"),
    PreviousDesiredComputeNodeCount: z.integer(),
    DesiredComputeNodeCount: z.integer(),
    ComputeNodeIds: z.array(z.string()),
    BusyNodes: z.array(z.string()),
    Warnings,
    DryRun: z.boolean(),
    Applied: z.boolean(),
    RequestIds: z.array(z.string()),
  }),
);
