// POST /envs: the CreateComputeEnv request (the SDK's shape), checked against the product's
// rules before Batch sees it: BS1 only in its two zones, an img-xxxxxxxx image (known
// cloud-init images pass, others warn), remote storage paths per the path rules, absolute local
// paths, notification event names in either spelling (sent upper case), the idempotency key
// (shared/idempotency.ts) and the creator tag (./owner). The HTTP layer runs the shape pass (zod)
// and the rule pass together (shared/validate.ts); a checked body and the caller in, the request
// out. Pure.
import * as z from "../../shared/zod";
import { lazy } from "../../shared/zod";
import type { CreateComputeEnvRequest } from "../../shared/batch/port";
import type { FieldIssue } from "../../shared/errors";
import { ClientTokenSchema, IDEMPOTENCY_TAGS, type Idempotency, idempotencyFor, idempotencyTags } from "../../shared/idempotency";
import { ImageIdSchema, unknownImageWarning } from "../../shared/schemas/image";
import { checkInstanceZone, envInstanceTypes, INSTANCE_TYPES } from "../../shared/schemas/instance-types";
import { LIMITS } from "../../shared/schemas/limits";
import { CREATE_ENV_EVENTS, checkEventNames, NotificationSchema, NotificationTargetSchema } from "../../shared/schemas/notifications";
import { checkRemotePath, LocalPathSchema } from "../../shared/schemas/paths";
import { duplicateTagKeys, TagInputSchema } from "../../shared/schemas/tags";
import { regionOfZone, ZoneSchema, zoneNotServed } from "../../shared/schemas/zone";
import type { RuleSink } from "../../shared/validate";
import { CREATOR_TAG } from "./owner";

const obj = z.record(z.string(), z.unknown());

const EnvDataSchema = lazy(() =>
  z.strictObject({
    InstanceType: z.optional(z.string().check(z.minLength(1))),
    InstanceTypes: z.optional(z.array(z.string().check(z.minLength(1))).check(z.minLength(1), z.maxLength(10))),
    InstanceTypeOptions: z.optional(
      z.strictObject({ CPU: z.integer().check(z.gte(1)), Memory: z.integer().check(z.gte(1)), InstanceCategories: z.optional(z.array(z.string())) }),
    ),
    ImageId: z.optional(ImageIdSchema),
    SystemDisk: z.optional(obj),
    DataDisks: z.optional(z.array(obj)),
    VirtualPrivateCloud: z.optional(obj),
    VirtualPrivateClouds: z.optional(z.array(obj)),
    InternetAccessible: z.optional(obj),
    InstanceName: z.optional(z.string()),
    LoginSettings: z.optional(obj),
    SecurityGroupIds: z.optional(z.array(z.string())),
    EnhancedService: z.optional(obj),
    InstanceChargeType: z.optional(z.enum(["POSTPAID_BY_HOUR", "SPOTPAID"])),
    InstanceMarketOptions: z.optional(obj),
    Zones: z.optional(z.array(z.string())),
  }),
);

const NamedComputeEnvSchema = lazy(() =>
  z.strictObject({
    EnvName: z.string().check(z.minLength(1), z.maxLength(LIMITS.envName, { message: `an env name has at most ${LIMITS.envName} characters` })),
    DesiredComputeNodeCount: z.integer().check(z.gte(0), z.lte(LIMITS.desiredNodesMax)),
    EnvDescription: z.optional(z.string().check(z.maxLength(LIMITS.envDescription))),
    EnvType: z.optional(z.literal("MANAGED")),
    EnvData: EnvDataSchema,
    MountDataDisks: z.optional(z.array(z.strictObject({ LocalPath: LocalPathSchema, FileSystemType: z.optional(z.enum(["EXT3", "EXT4", "NTFS"])) }))),
    Authentications: z.optional(
      z.array(
        z.strictObject({ Scene: z.string().check(z.minLength(1)), SecretId: z.string().check(z.minLength(1)), SecretKey: z.string().check(z.minLength(1)) }),
      ),
    ),
    InputMappings: z.optional(
      z.array(
        z.strictObject({
          SourcePath: z.string().check(z.minLength(1)),
          DestinationPath: LocalPathSchema,
          MountOptionParameter: z.optional(z.string()),
          MountType: z.optional(z.enum(["COSFS", "GooseFS-Lite"])),
        }),
      ),
    ),
    AgentRunningMode: z.optional(z.strictObject({ Scene: z.string(), User: z.string(), Session: z.string() })),
    Notifications: z.optional(z.array(NotificationSchema).check(z.maxLength(10))),
    ActionIfComputeNodeInactive: z.optional(z.literal("RECREATE")),
    ResourceMaxRetryCount: z.optional(z.integer().check(z.gte(0), z.lte(100))),
    Tags: z.optional(z.array(TagInputSchema).check(z.maxLength(LIMITS.tags, { message: `at most ${LIMITS.tags} tags` }))),
    NotificationTarget: z.optional(NotificationTargetSchema),
  }),
);

export const CreateEnvBodySchema = lazy(() =>
  z.strictObject({
    ComputeEnv: NamedComputeEnvSchema,
    Placement: z.strictObject({ Zone: ZoneSchema, ProjectId: z.optional(z.integer().check(z.gte(0))) }),
    ClientToken: z.optional(ClientTokenSchema),
  }),
);
export type CreateEnvBody = z.infer<typeof CreateEnvBodySchema>;

export interface CreateEnvPlan {
  request: CreateComputeEnvRequest;
  warnings: FieldIssue[];
  /** The instance types nodes will be of (for cores and cost), in the order Batch tries them. */
  instanceTypes: string[];
  /** Set when the request carries an idempotency key. */
  idempotency: Idempotency | undefined;
}

/**
 * What Batch gets for a checked body: the env is tagged with its creator (the caller), and the
 * caller's idempotency key (shared/idempotency.ts) becomes the caller-scoped ClientToken and the
 * idempotency tags.
 */
export function buildCreateEnv(checked: CreateEnvBody, opts: { caller: string; idempotencyKey: string | undefined; warnings: FieldIssue[] }): CreateEnvPlan {
  const { ClientToken: _token, ...b } = checked;
  const idem = idempotencyFor(opts.caller, opts.idempotencyKey, b);
  const ce = b.ComputeEnv;
  const tags = [...(ce.Tags ?? []), { Key: CREATOR_TAG, Value: opts.caller }, ...(idem ? idempotencyTags(idem) : [])];
  const request: CreateComputeEnvRequest = {
    ComputeEnv: { ...ce, Tags: tags } as CreateComputeEnvRequest["ComputeEnv"],
    Placement: b.Placement,
    ...(idem ? { ClientToken: idem.token } : {}),
  };
  return { request, warnings: opts.warnings, instanceTypes: envInstanceTypes(ce, b.Placement.Zone), idempotency: idem };
}

/**
 * The rules of a POST /envs body that span fields or need the served regions, for the route's
 * `rules` (the HTTP layer runs them with the shape pass: shared/validate.ts), on a body whose
 * shape may be partly broken.
 */
export const createEnvRules =
  (regions: readonly string[]) =>
  (b: CreateEnvBody, sink: RuleSink & { idempotent: boolean }): void => {
    const ce = b.ComputeEnv;
    const data = ce.EnvData;
    const zone = b.Placement.Zone;
    const add = sink.issue;
    // The env is created in its zone's region: its COS paths must be there too.
    const region = regionOfZone(zone);

    const notServed = zoneNotServed(zone, regions);
    if (notServed) add("Placement.Zone", notServed);

    const given = (["InstanceType", "InstanceTypes", "InstanceTypeOptions"] as const).filter((k) => data[k] !== undefined);
    if (given.length !== 1)
      add("ComputeEnv.EnvData", given.length === 0 ? "needs one of InstanceType, InstanceTypes, InstanceTypeOptions" : `give only one of ${given.join(", ")}`);
    const checkType = (t: string, path: string) => {
      if (!INSTANCE_TYPES[t]) {
        sink.warn(path, `${t} is not in the project's instance table; its cores and cost are unknown here`);
        return;
      }
      const problem = checkInstanceZone(t, zone);
      if (problem) add(path, problem);
    };
    if (data.InstanceType) checkType(data.InstanceType, "ComputeEnv.EnvData.InstanceType");
    data.InstanceTypes?.forEach((t, i) => {
      if (data.InstanceTypes?.indexOf(t) !== i) add(`ComputeEnv.EnvData.InstanceTypes[${i}]`, `${t} is listed twice`);
      else checkType(t, `ComputeEnv.EnvData.InstanceTypes[${i}]`);
    });
    const opt = data.InstanceTypeOptions;
    if (opt && envInstanceTypes(ce, zone).length === 0)
      sink.warn("ComputeEnv.EnvData.InstanceTypeOptions", `no known type with ${opt.CPU} vCPU and ${opt.Memory} GiB in ${zone}; cost is unknown here`);

    const image = data.ImageId
      ? unknownImageWarning(data.ImageId, "nodes fail to initialise without cloud-init")
      : "no image given; Batch picks its default image";
    if (image) sink.warn("ComputeEnv.EnvData.ImageId", image);

    ce.InputMappings?.forEach((m, i) => {
      const r = checkRemotePath(m.SourcePath, region);
      if (!r.ok) add(`ComputeEnv.InputMappings[${i}].SourcePath`, r.rule);
    });

    ce.Notifications?.forEach((n, i) => {
      const problems = checkEventNames(
        n.TopicName,
        n.EventConfigs,
        CREATE_ENV_EVENTS,
        (name) => `${name} is not an event of a compute environment; allowed: ${CREATE_ENV_EVENTS.join(", ")}`,
      );
      for (const x of problems) add(`ComputeEnv.Notifications[${i}].EventConfigs[${x.index}].EventName`, x.message);
    });

    const tags = ce.Tags ?? [];
    const added = [CREATOR_TAG, ...(sink.idempotent ? IDEMPOTENCY_TAGS : [])];
    const room = LIMITS.tags - added.length;
    if (tags.length > room)
      add(
        "ComputeEnv.Tags",
        `at most ${room} tags of your own${sink.idempotent ? " with an idempotency key" : ""}: an env has at most ${LIMITS.tags} and this API adds ${added.join(", ")}`,
      );
    tags.forEach((t, i) => {
      if (t.Key === CREATOR_TAG) add(`ComputeEnv.Tags[${i}].Key`, `${t.Key} is reserved: this API sets it to the creating API key's name`);
      else if ((IDEMPOTENCY_TAGS as readonly string[]).includes(t.Key))
        add(`ComputeEnv.Tags[${i}].Key`, `${t.Key} is reserved: this API sets it for an Idempotency-Key`);
    });
    for (const i of duplicateTagKeys(tags)) add(`ComputeEnv.Tags[${i}].Key`, `tag key ${tags[i]!.Key} is given twice`);
  };

