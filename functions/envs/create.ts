// POST /envs: the CreateComputeEnv request (the SDK's shape), checked against the product's
// rules before Batch sees it: BS1 only in its two zones, an img-xxxxxxxx image (known
// cloud-init images pass, others warn), remote storage paths per the path rules, absolute local
// paths, notification event names in either spelling (sent upper case), and Idempotency-Key →
// ClientToken. Pure: a body, the function's region and a header in; a request or 400 issues out.
import { z } from "zod";
import type { CreateComputeEnvRequest } from "../../shared/batch/port";
import { CLOUD_INIT_IMAGES, IMAGE_ID } from "../../shared/schemas/image";
import { BS1_ZONES, checkInstanceZone, INSTANCE_TYPES } from "../../shared/schemas/instance-types";
import { LIMITS } from "../../shared/schemas/limits";
import { CREATE_ENV_EVENTS, normalizeEventName } from "../../shared/schemas/notifications";
import { checkRemotePath } from "../../shared/schemas/paths";
import { regionOfZone } from "../../shared/schemas/zone";
import { type FieldIssue, issuesFromZod, validationError } from "../../shared/errors";

const ZONE = /^[a-z]{2}-[a-z]+(-[a-z]+)?-\d+$/;
const TOPIC_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
const CLIENT_TOKEN = /^[\x20-\x7e]{1,64}$/;

const obj = z.record(z.string(), z.unknown());
const absoluteLocalPath = z
  .string()
  .min(1)
  .refine((s) => s.startsWith("/") || /^[A-Za-z]:[\\/]/.test(s), { message: "must be an absolute local path such as /data/ or C:\\data\\" })
  .refine((s) => !s.includes("\u0000"), { message: "must not contain NUL" });

const EventConfigSchema = z
  .object({
    EventName: z.string().min(1),
    EventVars: z.array(z.object({ Name: z.string().min(1), Value: z.string() }).strict()).default([]),
  })
  .strict();

const NotificationSchema = z
  .object({
    TopicName: z
      .string()
      .min(1)
      .max(LIMITS.topicName, { message: `a topic name has at most ${LIMITS.topicName} characters` })
      .regex(TOPIC_NAME, { message: "a topic name starts with a letter and has only letters, digits, - and _" }),
    EventConfigs: z.array(EventConfigSchema).min(1, { message: "needs at least one event" }),
  })
  .strict();

const EnvDataSchema = z
  .object({
    InstanceType: z.string().min(1).optional(),
    InstanceTypes: z.array(z.string().min(1)).min(1).max(10).optional(),
    InstanceTypeOptions: z
      .object({ CPU: z.number().int().min(1), Memory: z.number().int().min(1), InstanceCategories: z.array(z.string()).optional() })
      .strict()
      .optional(),
    ImageId: z.string().regex(IMAGE_ID, { message: "an image id looks like img-xxxxxxxx" }).optional(),
    SystemDisk: obj.optional(),
    DataDisks: z.array(obj).optional(),
    VirtualPrivateCloud: obj.optional(),
    VirtualPrivateClouds: z.array(obj).optional(),
    InternetAccessible: obj.optional(),
    InstanceName: z.string().optional(),
    LoginSettings: obj.optional(),
    SecurityGroupIds: z.array(z.string()).optional(),
    EnhancedService: obj.optional(),
    InstanceChargeType: z.enum(["POSTPAID_BY_HOUR", "SPOTPAID"]).optional(),
    InstanceMarketOptions: obj.optional(),
    Zones: z.array(z.string()).optional(),
  })
  .strict();

const NamedComputeEnvSchema = z
  .object({
    EnvName: z.string().min(1).max(LIMITS.envName, { message: `an env name has at most ${LIMITS.envName} characters` }),
    DesiredComputeNodeCount: z.number().int().min(0).max(LIMITS.desiredNodesMax),
    EnvDescription: z.string().max(LIMITS.envDescription).optional(),
    EnvType: z.literal("MANAGED").optional(),
    EnvData: EnvDataSchema,
    MountDataDisks: z
      .array(z.object({ LocalPath: absoluteLocalPath, FileSystemType: z.enum(["EXT3", "EXT4", "NTFS"]).optional() }).strict())
      .optional(),
    Authentications: z.array(z.object({ Scene: z.string().min(1), SecretId: z.string().min(1), SecretKey: z.string().min(1) }).strict()).optional(),
    InputMappings: z
      .array(
        z
          .object({
            SourcePath: z.string().min(1),
            DestinationPath: absoluteLocalPath,
            MountOptionParameter: z.string().optional(),
            MountType: z.enum(["COSFS", "GooseFS-Lite"]).optional(),
          })
          .strict(),
      )
      .optional(),
    AgentRunningMode: z.object({ Scene: z.string(), User: z.string(), Session: z.string() }).strict().optional(),
    Notifications: z.array(NotificationSchema).max(10).optional(),
    ActionIfComputeNodeInactive: z.literal("RECREATE").optional(),
    ResourceMaxRetryCount: z.number().int().min(0).max(100).optional(),
    Tags: z
      .array(z.object({ Key: z.string().min(1).max(127), Value: z.string().max(255) }).strict())
      .max(LIMITS.tags, { message: `at most ${LIMITS.tags} tags` })
      .optional(),
    NotificationTarget: z.enum(["CMQ", "TDMQ_CMQ"]).optional(),
  })
  .strict();

export const CreateEnvBodySchema = z
  .object({
    ComputeEnv: NamedComputeEnvSchema,
    Placement: z
      .object({
        Zone: z.string().regex(ZONE, { message: "a zone looks like ap-guangzhou-2" }),
        ProjectId: z.number().int().min(0).optional(),
      })
      .strict(),
    ClientToken: z.string().regex(CLIENT_TOKEN, { message: "at most 64 printable ASCII characters" }).optional(),
  })
  .strict();
export type CreateEnvBody = z.infer<typeof CreateEnvBodySchema>;

export interface CreateEnvPlan {
  request: CreateComputeEnvRequest;
  warnings: FieldIssue[];
  /** The instance types nodes will be of (for cores and cost), in the order Batch tries them. */
  instanceTypes: string[];
}

/**
 * Validates a POST /envs body for the function's `region`. `idempotencyKey` is the
 * Idempotency-Key header: it becomes ClientToken (a different ClientToken in the body is refused).
 * Throws a 400 AppError listing every offending field path.
 */
export function planCreateEnv(body: unknown, region: string, idempotencyKey?: string): CreateEnvPlan {
  const parsed = CreateEnvBodySchema.safeParse(body);
  if (!parsed.success) throw validationError(issuesFromZod(parsed.error.issues));
  const b = parsed.data;
  const ce = b.ComputeEnv;
  const data = ce.EnvData;
  const zone = b.Placement.Zone;
  const issues: FieldIssue[] = [];
  const warnings: FieldIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });

  if (regionOfZone(zone) !== region) add("Placement.Zone", `zone ${zone} is not in the function's region ${region}`);

  const given = (["InstanceType", "InstanceTypes", "InstanceTypeOptions"] as const).filter((k) => data[k] !== undefined);
  if (given.length !== 1)
    add("ComputeEnv.EnvData", given.length === 0 ? "needs one of InstanceType, InstanceTypes, InstanceTypeOptions" : `give only one of ${given.join(", ")}`);
  const checkType = (t: string, path: string) => {
    if (!INSTANCE_TYPES[t]) {
      warnings.push({ path, message: `${t} is not in the project's instance table; its cores and cost are unknown here` });
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
  let instanceTypes = data.InstanceType ? [data.InstanceType] : [...(data.InstanceTypes ?? [])];
  if (opt) {
    instanceTypes = Object.entries(INSTANCE_TYPES)
      .filter(([t, s]) => s.cpu === opt.CPU && s.memGiB === opt.Memory && !checkInstanceZone(t, zone))
      .map(([t]) => t);
    if (instanceTypes.length === 0)
      warnings.push({
        path: "ComputeEnv.EnvData.InstanceTypeOptions",
        message: `no known type with ${opt.CPU} vCPU and ${opt.Memory} GiB in ${zone}; cost is unknown here`,
      });
  }

  if (!data.ImageId) warnings.push({ path: "ComputeEnv.EnvData.ImageId", message: "no image given; Batch picks its default image" });
  else if (!CLOUD_INIT_IMAGES[data.ImageId])
    warnings.push({
      path: "ComputeEnv.EnvData.ImageId",
      message: `${data.ImageId} is not a known cloud-init image (${Object.keys(CLOUD_INIT_IMAGES).join(", ")}); nodes fail to initialise without cloud-init`,
    });

  ce.InputMappings?.forEach((m, i) => {
    const r = checkRemotePath(m.SourcePath, region);
    if (!r.ok) add(`ComputeEnv.InputMappings[${i}].SourcePath`, r.rule);
  });

  const notifications = ce.Notifications?.map((n, i) => {
    const seen = new Set<string>();
    return {
      TopicName: n.TopicName,
      EventConfigs: n.EventConfigs.map((c, j) => {
        const path = `ComputeEnv.Notifications[${i}].EventConfigs[${j}].EventName`;
        const name = normalizeEventName(c.EventName);
        if (!name || !CREATE_ENV_EVENTS.includes(name)) add(path, `${c.EventName} is not an event of a compute environment; allowed: ${CREATE_ENV_EVENTS.join(", ")}`);
        else if (seen.has(name)) add(path, `${name} is configured twice for topic ${n.TopicName}`);
        else seen.add(name);
        return { EventName: name ?? c.EventName, EventVars: c.EventVars };
      }),
    };
  });

  ce.Tags?.forEach((t, i) => {
    if (ce.Tags?.findIndex((x) => x.Key === t.Key) !== i) add(`ComputeEnv.Tags[${i}].Key`, `tag key ${t.Key} is given twice`);
  });

  let clientToken = b.ClientToken;
  if (idempotencyKey !== undefined) {
    if (!CLIENT_TOKEN.test(idempotencyKey)) add("Idempotency-Key", "at most 64 printable ASCII characters");
    else if (clientToken !== undefined && clientToken !== idempotencyKey) add("ClientToken", "differs from the Idempotency-Key header; send one or make them equal");
    else clientToken = idempotencyKey;
  }

  if (issues.length > 0) throw validationError(issues);
  const request: CreateComputeEnvRequest = {
    ComputeEnv: { ...ce, ...(notifications ? { Notifications: notifications } : {}) } as CreateComputeEnvRequest["ComputeEnv"],
    Placement: b.Placement,
    ...(clientToken ? { ClientToken: clientToken } : {}),
  };
  return { request, warnings, instanceTypes };
}

/** BS1 zones, for the OpenAPI description. */
export const BS1_ZONE_LIST = BS1_ZONES.join(", ");
