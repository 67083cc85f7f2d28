// What POST /jobs sends to Batch, as a pure function: the SubmitJob request with this API's
// tags (submitter, and the idempotency pair of shared/idempotency.ts when a key is given).
import type { SubmitJobRequest } from "../../shared/batch/port";
import { type Idempotency, idempotencyTags } from "../../shared/idempotency";
import type { SubmitJobBody } from "./schemas";

/** Tag keys this API sets itself; callers may not. */
export const SUBMITTER_TAG = "submitter";
/** Covers the idempotency tags (shared/idempotency.ts) and any later ones of this API. */
export const RESERVED_TAG_PREFIX = "batch-scf/";

/** The exact SubmitJob request: the body, our tags appended, ClientToken when idempotent. */
export function buildSubmitRequest(body: SubmitJobBody, submitter: string, idem: Idempotency | undefined): SubmitJobRequest {
  const { ClientToken: _token, ...rest } = body;
  const tags = [...(body.Job.Tags ?? []), { Key: SUBMITTER_TAG, Value: submitter }, ...(idem ? idempotencyTags(idem) : [])];
  const req = { ...rest, Job: { ...rest.Job, Tags: tags } };
  return (idem ? { ...req, ClientToken: idem.token } : req) as SubmitJobRequest;
}

/** How many tags buildSubmitRequest adds. */
export const reservedTagCount = (idempotent: boolean) => (idempotent ? 3 : 1);
