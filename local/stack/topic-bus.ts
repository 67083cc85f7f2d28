// The local CMQ topic bus: every function with a `cmq` event subscribes to its topic. A message
// published to a topic (by the Batch emulator's notifications, or POST /_local/topics/<t>/publish)
// is pushed to each subscriber the way a TDMQ-CMQ HTTP subscription pushes it: a POST of the
// JSON-format push body (events.ts `cmqPushBody`) to `<the function's local URL>/cmq/<token>`.
// A 2xx answer means delivered (TDMQ: "返回标准的 2xx 响应…代表投递成功"); anything else, or no answer, is retried like an async invocation
// (1 + 2 attempts with backoff), then the push is written to the dead-letter file.
import { randomBytes } from "node:crypto";
import { cmqPushBody, randomDigits } from "./events";
import { LOCAL_ATTEMPT_HEADER, LOCAL_TRIGGER_HEADER } from "./gateway";
import type { Invoker } from "./invoker";
import type { FunctionConfig } from "./serverless-config";

export interface TopicBus {
  publish(topic: string, msgBody: string): void;
  subscribers(topic: string): string[];
  topics(): Map<string, string[]>;
  /** Messages published per topic, including those with no subscriber. */
  counts(): Record<string, number>;
}

export interface TopicBusOptions {
  invoker: Invoker;
  /** The subscriber's local Function URL (no trailing slash); undefined while it has none. */
  urlOf(fn: string): string | undefined;
  /** The path secret of every push (the subscribers' CMQ_PUSH_TOKEN). */
  token: string;
  log(line: string): void;
  /** Per push attempt; a push with no answer by then is a failed attempt (CMQ waits about 15 s). */
  timeoutMs?: number;
}

/** CMQ_PUSH_TOKEN when set, else 32 random bytes, base64url. */
export function pushTokenFrom(env: NodeJS.ProcessEnv): string {
  return env.CMQ_PUSH_TOKEN || randomBytes(32).toString("base64url");
}

export function createTopicBus(functions: readonly FunctionConfig[], opts: TopicBusOptions): TopicBus {
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

  const push = async (s: { fn: string; trigger: string }, body: Record<string, unknown>, attempt: number): Promise<string | undefined> => {
    const base = opts.urlOf(s.fn);
    if (!base) return "NoFunctionUrl: the subscriber has no local URL";
    let res: Response;
    try {
      res = await fetch(`${base}/cmq/${opts.token}`, {
      method: "POST",
      // As CMQ sends it (doc 1111/46529): text/plain, the ids in x-cmq-* headers.
      headers: {
        "content-type": "text/plain",
        "user-agent": "Qcloud Notification Service Agent",
        "x-cmq-request-id": randomDigits(10),
        "x-cmq-message-id": String(body.msgId),
        [LOCAL_TRIGGER_HEADER]: s.trigger,
        [LOCAL_ATTEMPT_HEADER]: String(attempt),
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000),
    });
    } catch (e) {
      // Network errors name host and port, never the path; scrubbed anyway: the token stays out of logs.
      const cause = (e as { cause?: { message?: string } }).cause?.message;
      return `${(e as Error).name}: ${(e as Error).message}${cause ? ` (${cause})` : ""}`.split(opts.token).join("***");
    }
    const text = await res.text();
    // The answer is the function's, never echoes the path: safe to quote (trimmed).
    return res.status >= 200 && res.status < 300 ? undefined : `HTTP ${res.status}: ${text.replace(/\s+/g, " ").slice(0, 200)}`;
  };

  return {
    publish(topic, msgBody) {
      counts[topic] = (counts[topic] ?? 0) + 1;
      const list = subs.get(topic);
      if (!list || list.length === 0) {
        opts.log(`topic ${topic}: no subscriber, message dropped`);
        return;
      }
      const msgId = randomDigits(18);
      for (const s of list) {
        const body = cmqPushBody({ topic, subscription: s.fn, msgBody, msgId });
        void opts.invoker.retrying(s.fn, body, { source: "cmq", trigger: s.trigger, what: `cmq message ${msgId} on topic ${topic} (HTTP push)` }, (n) => push(s, body, n));
      }
    },
    subscribers: (topic) => (subs.get(topic) ?? []).map((s) => s.fn),
    topics: () => new Map([...subs].map(([t, l]) => [t, l.map((s) => s.fn)])),
    counts: () => ({ ...counts }),
  };
}
