// Lenient envelope for a CMQ topic's HTTP push (TDMQ for CMQ keeps CMQ's "HTTP Endpoint
// Subscription": doc 1111/46529, and the CMQ API's "Delivering Message", doc 406/7420). The topic
// POSTs each message to the subscribed endpoint, content-type text/plain, with the headers
// x-cmq-request-id, x-cmq-message-id, x-cmq-message-tag, in one of two formats:
// - JSON (the default): `{"TopicOwner":100015036,"topicName":"MyTopic","subscriptionName":"…",
//   "msgId":"6942316962","msgBody":"<the published message>","publishTime":11203432}` (the
//   documented sample: TopicOwner and publishTime are numbers, the table calls TopicOwner a String);
// - SIMPLIFIED: the body is the published message itself, its msgId in x-cmq-message-id.
// Key case differs between the doc's table and its sample, so camelCase and PascalCase are both
// read. The published message is what Batch sends (batch-facts §6); its parsing is cmq.ts's.
import * as z from "../zod";
import { IdLikeSchema, messageFrom, type ParsedCmq } from "./cmq";

export const CmqPushBodySchema = z.looseObject({
  TopicOwner: IdLikeSchema,
  topicOwner: IdLikeSchema,
  TopicName: z.nullish(z.string()),
  topicName: z.nullish(z.string()),
  SubscriptionName: z.nullish(z.string()),
  subscriptionName: z.nullish(z.string()),
  MsgId: IdLikeSchema,
  msgId: IdLikeSchema,
  MsgBody: z.optional(z.unknown()),
  msgBody: z.optional(z.unknown()),
  MsgTag: z.nullish(z.union([z.array(z.string()), z.string()])),
  msgTag: z.nullish(z.union([z.array(z.string()), z.string()])),
  PublishTime: IdLikeSchema,
  publishTime: IdLikeSchema,
});

export interface ParsedCmqPush extends ParsedCmq {
  format: "json" | "simplified";
}

/** True for a JSON-format push envelope (it carries a message body under either spelling). */
function isJsonEnvelope(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === "object" && !Array.isArray(value) && ("msgBody" in value || "MsgBody" in value);
}

/**
 * A push's body (text, as the function received it) → the same ParsedCmq the trigger path gives.
 * `headers` are lower-case; only x-cmq-message-id is read (the SIMPLIFIED format's msgId).
 */
export function parseCmqPush(body: string, headers: Record<string, string> = {}): ParsedCmqPush {
  const headerId = headers["x-cmq-message-id"]?.trim() || undefined;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    value = undefined; // SIMPLIFIED with a base64 body, or not a message at all: messageFrom says which
  }
  if (isJsonEnvelope(value)) {
    const r = CmqPushBodySchema.safeParse(value);
    if (!r.success) {
      const issue = r.error.issues[0];
      return {
        format: "json",
        messages: [],
        poison: [{ msgId: headerId ?? "(push)", reason: `push body ${issue?.path.join(".") || ""}: ${issue?.message ?? "invalid"}` }],
      };
    }
    const p = r.data;
    const msgId = p.msgId ?? p.MsgId ?? headerId ?? "(push)";
    const m = messageFrom(msgId, p.topicName ?? p.TopicName ?? undefined, p.msgBody ?? p.MsgBody);
    return "reason" in m ? { format: "json", messages: [], poison: [m] } : { format: "json", messages: [m], poison: [] };
  }
  const m = messageFrom(headerId ?? "(push)", undefined, value ?? body);
  return "reason" in m ? { format: "simplified", messages: [], poison: [m] } : { format: "simplified", messages: [m], poison: [] };
}
