// `GET /webhooks/secret` (served by the jobs function): an app reads the secret its job
// notifications are signed with, authenticated by its own API key; it answers only that key's
// own secrets (derived from its name: ./secrets.ts), newest first: two while the operator rotates
// the master key. `Cache-Control: no-store`; the answer is never logged (the access log has no bodies).
import * as z from "../zod";
import { lazy } from "../zod";
import { AppError } from "../errors";
import { hasScope, type Route, route } from "../http";
import { DOCS } from "../docs";
import { webhookSecretsFor } from "./secrets";

export const WebhookSecretResponseSchema = lazy(() =>
  z.object({
    KeyName: z.string(),
    Secrets: z.array(z.string()),
    Scheme: z.string(),
  }),
);

export const SIGNING_SCHEME = "Standard Webhooks v1: webhook-signature = v1,base64(HMAC-SHA256(key, webhook-id.webhook-timestamp.body)); key = base64-decoded secret after whsec_";

/**
 * The route over the master keys (WEBHOOK_SIGNING_KEYS): any valid key holding one of `scopes`
 * (the function's own: jobs:read, jobs:write, jobs:admin) gets its secrets; none configured (the
 * feature is off, as Notify then is) is a 404 `webhooks_not_configured`.
 */
export function webhookSecretRoute(masters: readonly string[], scopes: readonly string[]): Route {
  return route({
    method: "GET",
    path: "/webhooks/secret",
    ...(DOCS && {
      summary: "the caller's own webhook signing secret(s), newest first (two while the operator rotates); any jobs scope",
      description:
        "Job notifications (`Notify` on POST /jobs) are signed per Standard Webhooks with the submitter's secret. During a rotation a delivery " +
        "carries one `v1,` signature per secret; accept any that matches, move to the first secret at your pace.",
    }),
    response: WebhookSecretResponseSchema,
    errors: [404],
    handler: ({ principal }) => {
      if (!scopes.some((s) => hasScope(principal, s) || principal.scopes.includes(s)))
        throw new AppError("forbidden", `the API key ${principal.name} lacks a scope of this function (${scopes.join(", ")})`, { status: 403 });
      if (masters.length === 0)
        throw new AppError("webhooks_not_configured", "this deployment signs no webhooks (its operator has not set WEBHOOK_SIGNING_KEYS)", { status: 404, expose: true });
      return {
        status: 200,
        headers: { "cache-control": "no-store", pragma: "no-cache" },
        body: { KeyName: principal.name, Secrets: webhookSecretsFor(masters, principal.name), Scheme: SIGNING_SCHEME },
      };
    },
  });
}
