// The jobs API's route table: HTTP in, service call, HTTP out.
import * as z from "../../shared/zod";
import { lazy } from "../../shared/zod";
import { actionAnswer as answer, locationOf, openApiRoute, type Route, route } from "../../shared/http";
import { actionReplays, IDEMPOTENCY_KEY } from "../../shared/idempotency";
import {
  ActionQuerySchema,
  ActionResponseSchema,
  DryRunResponseSchema,
  GetQuerySchema,
  InstancesQuerySchema,
  InstancesResponseSchema,
  JobIdSchema,
  JobListResponseSchema,
  JobViewResponseSchema,
  ListQuerySchema,
  LogsQuerySchema,
  LogsResponseSchema,
  SubmitJobBodySchema,
  SubmitQuerySchema,
  SubmitResponseSchema,
} from "./schemas";
import type { JobsService } from "./service";
import type { WebhookConfig } from "../../shared/webhooks/config";
import { webhookSecretRoute } from "../../shared/webhooks/secret-route";
import { submitRules } from "./validate";
import { DOCS } from "../../shared/docs";

const READ = "jobs:read";
const WRITE = "jobs:write";

const JobParamsSchema = lazy(() => z.object({ JobId: JobIdSchema }));

/** The routes over `service`; `regions`: the served ones (default `region`, the function's), a job's zone must be in one. */
export function jobsRoutes(service: JobsService, opts: { region: string; regions?: readonly string[]; webhooks?: WebhookConfig | undefined; signingKeys?: readonly string[] | undefined }): Route[] {
  const once = actionReplays();
  const routes: Route[] = [
    route({
      method: "POST",
      path: "/jobs",
      scope: WRITE,
      ...(DOCS && {
        summary: "submit a job (the SubmitJob request); Idempotency-Key makes retries safe",
        description:
          "Validates the product's rules, tags the job with `submitter` = the API key's name, and submits it. " +
          "With `Idempotency-Key` (or a body `ClientToken`) a retry returns the same JobId (header `Idempotent-Replayed: true`); " +
          "the same key with a different body is 409 `idempotency_key_reused`. `?dryRun=true` returns the exact request instead.",
      }),
      body: SubmitJobBodySchema,
      rules: submitRules(opts.regions ?? [opts.region], opts.webhooks),
      idempotency: IDEMPOTENCY_KEY,
      query: SubmitQuerySchema,
      response: lazy(() => z.union([SubmitResponseSchema, DryRunResponseSchema])),
      status: 201,
      errors: [409, 413],
      handler: async ({ req, body, warnings, idempotencyKey, query, principal, log }) => {
        const out = await service.submit({
          body,
          warnings,
          submitter: principal.name,
          idempotencyKey,
          dryRun: query.dryRun ?? false,
          log,
        });
        if (out.kind === "dry-run") {
          return { status: 200, body: { DryRun: true as const, Region: out.region, Submitter: principal.name, Request: out.request, Warnings: out.warnings } };
        }
        return {
          status: 201,
          headers: {
            // With several regions served, the job's region in the link: following it reads one region, not all.
            location: `${locationOf(req, out.jobId)}${(opts.regions?.length ?? 1) > 1 ? `?region=${out.region}` : ""}`,
            ...(out.replayed ? { "idempotent-replayed": "true" } : {}),
          },
          body: {
            JobId: out.jobId,
            Region: out.region,
            Submitter: principal.name,
            Replayed: out.replayed,
            ...(out.requestId ? { RequestId: out.requestId } : {}),
            Warnings: out.warnings,
          },
        };
      },
    }),
    route({
      method: "GET",
      path: "/jobs",
      scope: READ,
      ...(DOCS && {
        summary: "list jobs (filters: state, name, zone, tag, submitter; offset/limit pagination)",
      }),
      query: ListQuerySchema,
      response: JobListResponseSchema,
      handler: async ({ query }) => ({ status: 200, body: await service.list(query) }),
    }),
    route({
      method: "GET",
      path: "/jobs/{JobId}",
      scope: READ,
      params: JobParamsSchema,
      ...(DOCS && {
        summary: "a job: state, reason, per-task and per-instance states and metrics; ?waitFor=&timeout= long-polls",
        description:
          "With waitFor (job states, comma-separated) the answer comes as soon as the job is in one of them, or with its state at the " +
          "timeout (seconds, default and at most 25): DescribeJob 1, 2, 4 then every 5 s, at most 8 reads for 25 s; `Wait` says whether it was reached.",
      }),
      query: GetQuerySchema,
      response: JobViewResponseSchema,
      errors: [404],
      handler: async ({ params, query }) => ({
        status: 200,
        body: await service.get(params.JobId, { instances: query.instances ?? true, waitFor: query.waitFor, timeoutSeconds: query.timeout, region: query.region }),
      }),
    }),
    route({
      method: "POST",
      path: "/jobs/{JobId}/terminate",
      params: JobParamsSchema,
      scope: WRITE,
      ...(DOCS && {
        summary: "terminate a job (409 while SUBMITTED or once it ended); only its submitter or a jobs:admin key (403 not_owner)",
      }),
      response: ActionResponseSchema,
      status: 202,
      errors: [404, 409],
      idempotency: IDEMPOTENCY_KEY,
      query: ActionQuerySchema,
      handler: async ({ params, query, principal, idempotencyKey }) =>
        answer(202, await once.run(principal.name, idempotencyKey, { action: "terminate", JobId: params.JobId }, () => service.terminate(params.JobId, principal, query.region))),
    }),
    route({
      method: "POST",
      path: "/jobs/{JobId}/retry",
      params: JobParamsSchema,
      scope: WRITE,
      ...(DOCS && {
        summary: "retry the failed instances of a FAILED job (409 otherwise); only its submitter or a jobs:admin key (403 not_owner)",
        description:
          "Only a failure that ended before the request arrived is retried: a request that reads the job FAILED at a time not before " +
          "its own arrival (Batch's times are to the second) may duplicate a retry that already ran, and is 409 job_failed_again.",
      }),
      response: ActionResponseSchema,
      status: 202,
      errors: [404, 409],
      idempotency: IDEMPOTENCY_KEY,
      query: ActionQuerySchema,
      handler: async ({ params, query, principal, idempotencyKey }) => {
        const receivedAt = Date.now();
        return answer(202, await once.run(principal.name, idempotencyKey, { action: "retry", JobId: params.JobId }, () => service.retry(params.JobId, principal, receivedAt, query.region)));
      },
    }),
    route({
      method: "DELETE",
      path: "/jobs/{JobId}",
      scope: WRITE,
      params: JobParamsSchema,
      ...(DOCS && {
        summary: "delete a job that ended SUCCEED or FAILED (409 otherwise); only its submitter or a jobs:admin key (403 not_owner)",
      }),
      response: ActionResponseSchema,
      errors: [404, 409],
      idempotency: IDEMPOTENCY_KEY,
      query: ActionQuerySchema,
      handler: async ({ params, query, principal, idempotencyKey }) =>
        answer(200, await once.run(principal.name, idempotencyKey, { action: "delete", JobId: params.JobId }, () => service.remove(params.JobId, principal, query.region))),
    }),
    route({
      method: "GET",
      path: "/jobs/{JobId}/instances",
      params: JobParamsSchema,
      scope: READ,
      ...(DOCS && {
        summary: "a page of one task's instances (the job view lists at most 1,000 per task)",
      }),
      query: InstancesQuerySchema,
      response: InstancesResponseSchema,
      errors: [404],
      handler: async ({ params, query }) => ({ status: 200, body: await service.instances(params.JobId, query) }),
    }),
    route({
      method: "GET",
      path: "/jobs/{JobId}/logs",
      params: JobParamsSchema,
      scope: READ,
      ...(DOCS && {
        summary: "the log tail of task instances, and where the full log lives",
      }),
      query: LogsQuerySchema,
      response: LogsResponseSchema,
      errors: [404],
      handler: async ({ params, query }) => ({ status: 200, body: await service.logs(params.JobId, query) }),
    }),
  ];

  // GET /webhooks/secret: the caller's own Notify signing secret(s), any scope of this function.
  routes.push(webhookSecretRoute(opts.signingKeys ?? [], [READ, WRITE, "jobs:admin"]));
  routes.push(openApiRoute({ title: "batch-scf jobs API", version: "1.0.0", description: "Submit and follow Tencent Cloud Batch jobs." }, () => routes));
  return routes;
}
