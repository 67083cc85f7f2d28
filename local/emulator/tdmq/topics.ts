// CMQ topic actions: CreateCmqTopic, DescribeCmqTopicDetail, DeleteCmqTopic (which also drops the
// topic's subscriptions — the emulator's choice; the docs do not say).
import { ApiError, type EmuContext } from "../context";
import { checkKnownKeys, type Obj, optBool, optInt } from "../validate";
import { type CmqTopicRecord, cmqTopicKey } from "./records";
import { cmqName, tags } from "./rules";

/** The emulator's stand-ins for the account: an AppId and a Uin. */
export const CMQ_APPID = 1250000000;
const CREATE_UIN = 100000000001;
/** CMQ's default topic throughput. */
const TOPIC_QPS = 5000;

export function findTopic(ctx: EmuContext, topicName: string): CmqTopicRecord {
  const t = ctx.store.keyed.cmqTopic.get(cmqTopicKey(ctx.region, topicName));
  if (!t) throw new ApiError("ResourceNotFound.Topic", `The topic ${topicName} does not exist in ${ctx.region}.`);
  return t;
}

export function subscriptionsOf(ctx: EmuContext, topic: CmqTopicRecord) {
  const prefix = `${cmqTopicKey(topic.region, topic.topicName)}/`;
  return [...ctx.store.keyed.cmqSubscription.entries()].filter(([k]) => k.startsWith(prefix));
}

function createCmqTopic(ctx: EmuContext, req: Obj): Obj {
  checkKnownKeys(req, ["TopicName", "MaxMsgSize", "FilterType", "MsgRetentionSeconds", "Trace", "Tags"]);
  const topicName = cmqName(req.TopicName, "TopicName");
  if (ctx.store.keyed.cmqTopic.has(cmqTopicKey(ctx.region, topicName))) throw new ApiError("ResourceInUse.Topic", `The topic ${topicName} already exists (names are case-insensitive).`);
  const range = { belowCode: "InvalidParameterValue.InvalidParams", aboveCode: "InvalidParameterValue.InvalidParams" };
  const topic: CmqTopicRecord = {
    region: ctx.region,
    topicId: ctx.ids.next("topic"),
    topicName,
    maxMsgSize: optInt(req.MaxMsgSize, "MaxMsgSize", { min: 1024, max: 65536, ...range }) ?? 65536,
    filterType: optInt(req.FilterType, "FilterType", { min: 1, max: 2, ...range }) ?? 1,
    msgRetentionSeconds: optInt(req.MsgRetentionSeconds, "MsgRetentionSeconds", { min: 60, max: 86400, ...range }) ?? 86400,
    trace: optBool(req.Trace, "Trace") ?? false,
    tags: tags(req.Tags),
    createdAt: ctx.now(),
    modifiedAt: ctx.now(),
  };
  ctx.store.put("cmqTopic", topic);
  return { TopicId: topic.topicId };
}

function topicView(ctx: EmuContext, t: CmqTopicRecord): Obj {
  return {
    TopicId: t.topicId,
    TopicName: t.topicName,
    MsgRetentionSeconds: t.msgRetentionSeconds,
    MaxMsgSize: t.maxMsgSize,
    Qps: TOPIC_QPS,
    FilterType: t.filterType,
    CreateTime: t.createdAt,
    LastModifyTime: t.modifiedAt,
    MsgCount: 0,
    CreateUin: CREATE_UIN,
    Tags: t.tags.map((x) => ({ ...x })),
    Trace: t.trace,
    Status: 1,
    BrokerType: 0,
    SubscriptionCount: subscriptionsOf(ctx, t).length,
  };
}

function describeCmqTopicDetail(ctx: EmuContext, req: Obj): Obj {
  checkKnownKeys(req, ["TopicName"]);
  return { TopicDescribe: topicView(ctx, findTopic(ctx, cmqName(req.TopicName, "TopicName"))) };
}

function deleteCmqTopic(ctx: EmuContext, req: Obj): Obj {
  checkKnownKeys(req, ["TopicName"]);
  const topic = findTopic(ctx, cmqName(req.TopicName, "TopicName"));
  for (const [key] of subscriptionsOf(ctx, topic)) ctx.store.remove("cmqSubscription", key);
  ctx.store.remove("cmqTopic", cmqTopicKey(topic.region, topic.topicName));
  return {};
}

export const topicActions = {
  CreateCmqTopic: createCmqTopic,
  DescribeCmqTopicDetail: describeCmqTopicDetail,
  DeleteCmqTopic: deleteCmqTopic,
};
