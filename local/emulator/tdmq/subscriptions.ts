// CMQ subscription actions: CreateCmqSubscribe, DescribeCmqSubscriptionDetail,
// ModifyCmqSubscriptionAttribute (Endpoint and Protocol are not among its parameters, so they
// cannot change), DeleteCmqSubscribe.
import { ApiError, type EmuContext } from "../context";
import { page, paging } from "../paging";
import { checkKnownKeys, fail, type Obj, optStr } from "../validate";
import { type CmqSubscriptionRecord, cmqSubscriptionKey } from "./records";
import * as rules from "./rules";
import { CMQ_APPID, findTopic, subscriptionsOf } from "./topics";

function findSubscription(ctx: EmuContext, req: Obj): CmqSubscriptionRecord {
  const topic = findTopic(ctx, rules.cmqName(req.TopicName, "TopicName"));
  const subscriptionName = rules.cmqName(req.SubscriptionName, "SubscriptionName");
  const sub = ctx.store.keyed.cmqSubscription.get(cmqSubscriptionKey({ ...topic, subscriptionName }));
  if (!sub) throw new ApiError("ResourceNotFound.Subscription", `The topic ${topic.topicName} has no subscription ${subscriptionName}.`);
  return sub;
}

function createCmqSubscribe(ctx: EmuContext, req: Obj): Obj {
  checkKnownKeys(req, ["TopicName", "SubscriptionName", "Protocol", "Endpoint", "NotifyStrategy", "FilterTag", "BindingKey", "NotifyContentFormat"]);
  const topic = findTopic(ctx, rules.cmqName(req.TopicName, "TopicName"));
  const subscriptionName = rules.cmqName(req.SubscriptionName, "SubscriptionName");
  if (ctx.store.keyed.cmqSubscription.has(cmqSubscriptionKey({ ...topic, subscriptionName })))
    throw new ApiError("ResourceInUse.Subscription", `The topic ${topic.topicName} already has a subscription ${subscriptionName}.`);
  const protocol = rules.protocol(req.Protocol);
  const sub: CmqSubscriptionRecord = {
    region: topic.region,
    topicName: topic.topicName,
    subscriptionId: ctx.ids.next("sub"),
    subscriptionName,
    protocol,
    endpoint: rules.endpoint(req.Endpoint, protocol),
    notifyStrategy: rules.notifyStrategy(req.NotifyStrategy) ?? "EXPONENTIAL_DECAY_RETRY",
    notifyContentFormat: rules.contentFormat(req.NotifyContentFormat, protocol) ?? (protocol === "queue" ? "SIMPLIFIED" : "JSON"),
    filterTags: rules.filterTags(req.FilterTag, "FilterTag") ?? [],
    bindingKey: rules.bindingKeys(req.BindingKey) ?? [],
    createdAt: ctx.now(),
    modifiedAt: ctx.now(),
  };
  ctx.store.put("cmqSubscription", sub);
  return { SubscriptionId: sub.subscriptionId };
}

function subscriptionView(s: CmqSubscriptionRecord): Obj {
  return {
    SubscriptionName: s.subscriptionName,
    SubscriptionId: s.subscriptionId,
    TopicOwner: CMQ_APPID,
    MsgCount: 0,
    LastModifyTime: s.modifiedAt,
    CreateTime: s.createdAt,
    BindingKey: [...s.bindingKey],
    Endpoint: s.endpoint,
    FilterTags: [...s.filterTags],
    Protocol: s.protocol,
    NotifyStrategy: s.notifyStrategy,
    NotifyContentFormat: s.notifyContentFormat,
    TopicName: s.topicName,
  };
}

/** QueryType topic (default): the topic's subscriptions; queue: those pushing to QueueName. SubscriptionName matches as a substring. */
function describeCmqSubscriptionDetail(ctx: EmuContext, req: Obj): Obj {
  checkKnownKeys(req, ["TopicName", "Offset", "Limit", "SubscriptionName", "QueueName", "QueryType"]);
  const queryType = optStr(req.QueryType, "QueryType", { oneOf: ["topic", "queue"] }) || "topic";
  const p = paging(req, { limit: 20, max: 50 });
  const like = optStr(req.SubscriptionName, "SubscriptionName") ?? "";
  let subs: CmqSubscriptionRecord[];
  if (queryType === "queue") {
    const queue = optStr(req.QueueName, "QueueName") || fail("MissingParameter.NeedMoreParams", "QueueName", "is required when QueryType is queue");
    subs = [...ctx.store.keyed.cmqSubscription.values()].filter((s) => s.region === ctx.region && s.protocol === "queue" && s.endpoint === queue);
  } else {
    subs = subscriptionsOf(ctx, findTopic(ctx, rules.cmqName(req.TopicName, "TopicName"))).map(([, s]) => s);
  }
  const matching = subs.filter((s) => s.subscriptionName.includes(like)).sort((a, b) => a.createdAt - b.createdAt || a.subscriptionName.localeCompare(b.subscriptionName));
  return { TotalCount: matching.length, SubscriptionSet: page(matching, p).map(subscriptionView) };
}

function modifyCmqSubscriptionAttribute(ctx: EmuContext, req: Obj): Obj {
  checkKnownKeys(req, ["TopicName", "SubscriptionName", "NotifyStrategy", "NotifyContentFormat", "FilterTags", "BindingKey"]);
  const sub = findSubscription(ctx, req);
  const change = {
    notifyStrategy: rules.notifyStrategy(req.NotifyStrategy),
    notifyContentFormat: rules.contentFormat(req.NotifyContentFormat, sub.protocol),
    filterTags: rules.filterTags(req.FilterTags, "FilterTags"),
    bindingKey: rules.bindingKeys(req.BindingKey),
  };
  if (Object.values(change).every((v) => v === undefined))
    fail("InvalidParameterValue.AtLeastOne", "", "give at least one of NotifyStrategy, NotifyContentFormat, FilterTags, BindingKey");
  for (const [k, v] of Object.entries(change)) if (v !== undefined) Object.assign(sub, { [k]: v });
  sub.modifiedAt = ctx.now();
  ctx.store.put("cmqSubscription", sub);
  return {};
}

function deleteCmqSubscribe(ctx: EmuContext, req: Obj): Obj {
  checkKnownKeys(req, ["TopicName", "SubscriptionName"]);
  ctx.store.remove("cmqSubscription", cmqSubscriptionKey(findSubscription(ctx, req)));
  return {};
}

export const subscriptionActions = {
  CreateCmqSubscribe: createCmqSubscribe,
  DescribeCmqSubscriptionDetail: describeCmqSubscriptionDetail,
  ModifyCmqSubscriptionAttribute: modifyCmqSubscriptionAttribute,
  DeleteCmqSubscribe: deleteCmqSubscribe,
};
