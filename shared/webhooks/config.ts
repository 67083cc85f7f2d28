// What the functions that take or deliver job notifications read from the environment:
// JOB_EVENTS_TOPIC (the CMQ topic Batch publishes the jobs' events to; unset = notifications off),
// WEBHOOK_ALLOW_HOSTS (comma-separated hosts or *.suffix patterns; unset = any public host) and
// WEBHOOK_ALLOW_LOOPBACK_HTTP (`true` only on the local stack: plain http to loopback receivers).
import { AppError } from "../errors";
import { TOPIC_NAME, TOPIC_NAME_RULE } from "../schemas/topic";
import { LIMITS } from "../schemas/limits";
import type { DestinationPolicy } from "./destination";

export interface WebhookConfig {
  /** Unset: `Notify` is refused (422 notify_not_configured). */
  topic?: string | undefined;
  destination: DestinationPolicy;
}

const HOST = /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

export function webhookConfigFromEnv(env: NodeJS.ProcessEnv): WebhookConfig {
  const bad = (message: string) => new AppError("config_invalid", message, { status: 500, expose: false });
  const topic = env.JOB_EVENTS_TOPIC?.trim() || undefined;
  if (topic && (!TOPIC_NAME.test(topic) || topic.length > LIMITS.topicName))
    throw bad(`JOB_EVENTS_TOPIC: ${TOPIC_NAME_RULE}, at most ${LIMITS.topicName} characters`);
  const hosts = (env.WEBHOOK_ALLOW_HOSTS ?? "")
    .split(",")
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== "");
  const wrong = hosts.find((h) => !HOST.test(h));
  if (wrong) throw bad(`WEBHOOK_ALLOW_HOSTS: ${wrong} is not a host name or *.suffix pattern`);
  const loopback = env.WEBHOOK_ALLOW_LOOPBACK_HTTP?.trim();
  if (loopback && loopback !== "true" && loopback !== "false") throw bad("WEBHOOK_ALLOW_LOOPBACK_HTTP: true or false");
  return { topic, destination: { ...(hosts.length ? { allowHosts: hosts } : {}), allowLoopbackHttp: loopback === "true" } };
}
