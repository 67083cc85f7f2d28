// The TDMQ 2020-02-17 CMQ control plane a deploy tool uses (topics and subscriptions, per
// region), plus GET /_emulator/cmq/topics and GET /_emulator/cmq/subscriptions.
import type { EmulatorModule, TestRoute } from "../context";
import { subscriptionActions } from "./subscriptions";
import { topicActions } from "./topics";

const testRoutes: TestRoute[] = [
  {
    method: "GET",
    path: "/cmq/topics",
    handle: (ctx) =>
      [...ctx.store.keyed.cmqTopic.values()].map((t) => ({
        Region: t.region,
        TopicName: t.topicName,
        TopicId: t.topicId,
        FilterType: t.filterType,
        MaxMsgSize: t.maxMsgSize,
        MsgRetentionSeconds: t.msgRetentionSeconds,
      })),
  },
  {
    method: "GET",
    path: "/cmq/subscriptions",
    handle: (ctx) =>
      [...ctx.store.keyed.cmqSubscription.values()].map((s) => ({
        Region: s.region,
        TopicName: s.topicName,
        SubscriptionName: s.subscriptionName,
        Protocol: s.protocol,
        Endpoint: s.endpoint,
        NotifyStrategy: s.notifyStrategy,
        NotifyContentFormat: s.notifyContentFormat,
        FilterTags: [...s.filterTags],
        BindingKey: [...s.bindingKey],
      })),
  },
];

export const tdmqModule: EmulatorModule = {
  actions: { ...topicActions, ...subscriptionActions },
  testRoutes,
};
