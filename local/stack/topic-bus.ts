// The local CMQ topic bus: every function with a `cmq` trigger subscribes to its topic name;
// a message published to a topic (by the Batch emulator's notifications) reaches each
// subscriber as the SCF CMQ topic event, one record per message, invoked asynchronously.
import { cmqEvent, randomDigits } from "./events";
import type { Invoker } from "./invoker";
import type { FunctionConfig } from "./serverless-config";

export interface TopicBus {
  publish(topic: string, msgBody: string): void;
  subscribers(topic: string): string[];
  topics(): Map<string, string[]>;
  /** Messages published per topic, including those with no subscriber. */
  counts(): Record<string, number>;
}

export function createTopicBus(functions: readonly FunctionConfig[], invoker: Invoker, log: (line: string) => void): TopicBus {
  const subs = new Map<string, Array<{ fn: string; trigger: string }>>();
  for (const fn of functions) {
    for (const t of fn.triggers) {
      if (t.kind !== "cmq" || !t.enabled) continue;
      const list = subs.get(t.topic) ?? [];
      list.push({ fn: fn.name, trigger: t.name });
      subs.set(t.topic, list);
    }
  }
  const counts: Record<string, number> = {};
  return {
    publish(topic, msgBody) {
      counts[topic] = (counts[topic] ?? 0) + 1;
      const list = subs.get(topic);
      if (!list || list.length === 0) {
        log(`topic ${topic}: no subscriber, message dropped`);
        return;
      }
      const msgId = randomDigits(18);
      for (const s of list) {
        const event = cmqEvent({ topic, subscription: s.fn, msgBody, msgId });
        void invoker.async(s.fn, event, { source: "cmq", trigger: s.trigger, what: `cmq message ${msgId} on topic ${topic}` });
      }
    },
    subscribers: (topic) => (subs.get(topic) ?? []).map((s) => s.fn),
    topics: () => new Map([...subs].map(([t, l]) => [t, l.map((s) => s.fn)])),
    counts: () => ({ ...counts }),
  };
}
