// What POST /jobs sends to Batch, as a pure function: the SubmitJob request with this API's
// tags (submitter, the idempotency pair of shared/idempotency.ts when a key is given, the Notify
// pair and its Notifications entry when the body asks for webhooks: ./notify.ts).
import type { SubmitJobRequest } from "../../shared/batch/port";
import { type Idempotency, idempotencyTags } from "../../shared/idempotency";
import { notifyAdditions } from "./notify";
import type { SubmitJobBody } from "./schemas";

/** Tag keys this API sets itself; callers may not. */
export const SUBMITTER_TAG = "submitter";
/** Covers the idempotency tags (shared/idempotency.ts) and any later ones of this API. */
export const RESERVED_TAG_PREFIX = "batch-scf/";

/**
 * The exact SubmitJob request: the body, our tags appended, ClientToken when idempotent, and for
 * a Notify the job-events topic's Notifications entry (`topic`: JOB_EVENTS_TOPIC; the route's rules
 * refuse a Notify when it is unset).
 */
export function buildSubmitRequest(body: SubmitJobBody, submitter: string, idem: Idempotency | undefined, topic?: string): SubmitJobRequest {
  const { ClientToken: _token, Notify: notify, ...rest } = body;
  const add = notify && topic ? notifyAdditions(notify, topic) : undefined;
  const tags = [...(body.Job.Tags ?? []), { Key: SUBMITTER_TAG, Value: submitter }, ...(idem ? idempotencyTags(idem) : []), ...(add?.tags ?? [])];
  const notifications = add ? [...(rest.Job.Notifications ?? []), add.notification] : rest.Job.Notifications;
  const req = { ...rest, Job: { ...rest.Job, Tags: tags, ...(notifications ? { Notifications: notifications } : {}) } };
  return (idem ? { ...req, ClientToken: idem.token } : req) as SubmitJobRequest;
}

/** How many tags buildSubmitRequest adds: submitter, the idempotency pair, the Notify pair. */
export const reservedTagCount = (idempotent: boolean, notify = false) => 1 + (idempotent ? 2 : 0) + (notify ? 2 : 0);
