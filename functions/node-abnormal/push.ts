// The CMQ topic's HTTP push (the way Batch events reach the function now that SCF creates no CMQ
// triggers): the deploy gives node-abnormal a Function URL and subscribes `<url>/cmq/<token>` to
// the topic. The endpoint itself is shared/triggers/push-endpoint.ts (job-notify's too):
//
// - `POST /cmq/<token>` (a leading stage segment is allowed): the token is compared in constant
//   time (sha256 of both, timingSafeEqual) with CMQ_PUSH_TOKEN. Not configured → 503
//   `push_not_configured` (fail closed, logged once per container); none or another → 403
//   `forbidden`, before anything is parsed or read. Anything else → 404.
// - The body (≤ 1 MB, 413 past that) is the JSON or SIMPLIFIED push format (cmq-push.ts) and goes
//   through the same remediation as the trigger's messages. 200 with the invocation summary when
//   handled, poison messages included (logged; a retry would fail the same way); 503 +
//   Retry-After when a transient Batch failure left an env unhandled (CMQ re-pushes on non-2xx).
// - The token never reaches a log line or an answer: the access log shows `/cmq/***`.
import type { ScfHttpResponse } from "../../shared/http/request";
import type { Logger } from "../../shared/log";
import { makePushEndpoint } from "../../shared/triggers/push-endpoint";
import type { InvocationContext, NodeAbnormalHandler } from "./handler";

export { maskPushPath } from "../../shared/triggers/push-endpoint";

export interface PushDeps {
  handler: Pick<NodeAbnormalHandler, "messages">;
  /** CMQ_PUSH_TOKEN; undefined or empty = pushes are refused (503). */
  token: string | undefined;
  logger: Logger;
  /** Seconds CMQ is asked to wait before pushing again after a transient failure. */
  retryAfterSeconds?: number;
  now?: () => number;
}

export function makePushHandler(deps: PushDeps): (event: unknown, context?: InvocationContext) => Promise<ScfHttpResponse> {
  const { handler, ...rest } = deps;
  return makePushEndpoint({ ...rest, name: "node-abnormal", handle: (parsed, context) => handler.messages(parsed, context) });
}
