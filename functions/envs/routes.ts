// The envs API's route table: HTTP in (checked by the HTTP layer), service call, HTTP out.
import type { EnvRule } from "../../shared/env-policy";
import { EnvParamsSchema } from "../../shared/http/params";
import { actionAnswer, hasScope, locationOf, openApiRoute, type Principal, type Route, route } from "../../shared/http";
import { actionReplays, IDEMPOTENCY_KEY } from "../../shared/idempotency";
import { BS1_ZONES } from "../../shared/schemas/instance-types";
import { CreateEnvBodySchema, createEnvRules } from "./create";
import {
  ActionQuerySchema,
  CreateAnswerSchema,
  DeleteAnswerSchema,
  DeleteQuerySchema,
  EnvDetailSchema,
  EnvQuerySchema,
  EnvListSchema,
  ListQuerySchema,
  ScaleAnswerSchema,
  ScaleBodySchema,
  TerminateAnswerSchema,
  TerminateBodySchema,
} from "./schemas";
import type { Caller, EnvsService } from "./service";
import { DOCS } from "../../shared/docs";

/**
 * The answers' schemas: they type the handlers, document the answers (OpenAPI) and check real
 * answers in the handler tests. Nothing parses an answer at run time and a bundle serves the
 * prebuilt document, so a bundle leaves them out. The test is written out rather than `DOCS`
 * (shared/docs.ts): esbuild drops the schemas only when the condition is constant where it is read.
 */
const ANSWERS = process.env.BATCH_SCF_BUNDLE !== "1" && {
  list: EnvListSchema,
  detail: EnvDetailSchema,
  create: CreateAnswerSchema,
  scale: ScaleAnswerSchema,
  remove: DeleteAnswerSchema,
  terminate: TerminateAnswerSchema,
};

function callerOf(p: Principal): Caller {
  return { name: p.name, scopes: p.scopes, mayScale: (rule: EnvRule) => rule.scaleScopes.some((s) => hasScope(p, s)) };
}

/** X-Change-Reason: the "why" of the audit line for routes whose body is Tencent's shape. */
function headerReason(headers: Record<string, string>): string | undefined {
  const r = headers["x-change-reason"]?.trim();
  return r ? r.slice(0, 200) : undefined;
}

/** The routes over `svc`; `regions`: the served ones (default `region`, the function's), an env's zone must be in one. */
export function envsRoutes(svc: EnvsService, opts: { region: string; regions?: readonly string[] }): Route[] {
  const once = actionReplays();
  const routes: Route[] = [
    route({
      method: "GET",
      path: "/envs",
      scope: "envs:read",
      ...(DOCS && {
        summary: "list compute environments with node counts by state (several regions: merged newest first, paged by cursor)",
      }),
      query: ListQuerySchema,
      ...(ANSWERS && { response: ANSWERS.list }),
      handler: async ({ query }) => {
        const body = await svc.list({
          zone: query.zone,
          envName: query.name,
          envId: query.envId,
          tags: query.tag,
          region: query.region,
          cursor: query.cursor,
          offset: query.offset,
          limit: query.limit ?? 20,
        });
        return { status: 200, body };
      },
    }),
    route({
      method: "GET",
      path: "/envs/{EnvId}",
      scope: "envs:read",
      params: EnvParamsSchema,
      ...(DOCS && {
        summary: "one compute environment: desired count, nodes by state, each node's age, cores, busy or idle, cost per hour",
      }),
      query: EnvQuerySchema,
      ...(ANSWERS && { response: ANSWERS.detail }),
      errors: [404],
      handler: async ({ params, query }) => ({ status: 200, body: await svc.get(params.EnvId, query.region) }),
    }),
    route({
      method: "POST",
      path: "/envs",
      scope: "envs:write",
      ...(DOCS && {
        summary: "create a compute environment (the CreateComputeEnv request), checked against the product's rules",
        description:
          `BS1 types only in ${BS1_ZONES.join(", ")}; ImageId img-xxxxxxxx (known cloud-init images pass, others warn); ` +
          "InputMappings SourcePath cos:// cfs:// nfs:// per the path rules, local paths absolute; notification event names " +
          "in either spelling (JobFailed or COMPUTE_NODE_CREATED), sent upper case. With Idempotency-Key (or a body ClientToken) a retry returns the same EnvId (header Idempotent-Replayed: true); " +
          "the same key with a different body is 409 idempotency_key_reused. " +
          "The desired count must respect the policy (minNodes, maxNodes, maxCores) of the env's name: 422 otherwise; " +
          "starting with nodes also needs allowScaling (422) and one of the rule's scaleScopes (403).",
      }),
      body: CreateEnvBodySchema,
      rules: createEnvRules(opts.regions ?? [opts.region]),
      idempotency: IDEMPOTENCY_KEY,
      ...(DOCS && {
        headers: { "X-Change-Reason": "why, for the audit line" },
      }),
      status: 201,
      ...(ANSWERS && { response: ANSWERS.create }),
      errors: [422],
      handler: async ({ body, warnings, idempotencyKey, req, principal }) => {
        const created = await svc.create(body, {
          caller: callerOf(principal),
          idempotencyKey,
          warnings,
          requestId: req.requestId,
          reason: headerReason(req.headers),
        });
        const headers = { location: locationOf(req, created.EnvId), ...(created.Replayed ? { "idempotent-replayed": "true" } : {}) };
        return { status: 201, headers, body: created };
      },
    }),
    route({
      method: "POST",
      path: "/envs/{EnvId}/scale",
      scope: "envs:write",
      params: EnvParamsSchema,
      ...(DOCS && {
        summary: "change the desired node count within the env's policy; ?dryRun=true answers what would change",
        description:
          "Refusals name the rule: 422 allowScaling, minNodes, maxNodes, maxCores, cooldownSeconds (Retry-After); 403 scaleScopes, " +
          "not_owner (another key's env; envs:admin may); 409 env_deleting, not_enough_destroyable_nodes, env_busy (Retry-After), " +
          "conflict (another change landed: re-read). Scale-down terminates idle nodes first, busy ones last.",
      }),
      body: ScaleBodySchema,
      // A relative change repeated on another function instance (which has not seen the key) would be made twice.
      rules: (body, ctx) => {
        if (ctx.idempotent && body.delta !== undefined)
          ctx.issue("delta", "with an Idempotency-Key give DesiredComputeNodeCount: a relative change is not safe to repeat");
      },
      query: ActionQuerySchema,
      ...(ANSWERS && { response: ANSWERS.scale }),
      errors: [404, 409, 422],
      idempotency: IDEMPOTENCY_KEY,
      handler: async ({ params, body, query, req, principal, idempotencyKey }) => {
        const target = body.DesiredComputeNodeCount !== undefined ? { desired: body.DesiredComputeNodeCount } : { delta: body.delta ?? 0 };
        const dryRun = query.dryRun ?? false;
        const act = () => svc.scale(params.EnvId, target, { dryRun, caller: callerOf(principal), reason: body.reason, requestId: req.requestId, region: query.region });
        // A dry run changes nothing: its key is checked, not remembered.
        if (dryRun) return { status: 200, body: await act() };
        return actionAnswer(200, await once.run(principal.name, idempotencyKey, { action: "scale", EnvId: params.EnvId, target }, act));
      },
    }),
    route({
      method: "DELETE",
      path: "/envs/{EnvId}",
      scope: "envs:write",
      params: EnvParamsSchema,
      ...(DOCS && {
        summary: "delete a compute environment; 409 while it is already being deleted or its nodes run tasks (unless ?force=true)",
        description:
          "Needs one of the rule's scaleScopes (403), and envs:admin for another key's env (403 not_owner). A rule with " +
          "minNodes > 0 refuses deletion with 422 policy.minNodes unless ?force=true (which also interrupts busy nodes).",
      }),
      query: DeleteQuerySchema,
      ...(DOCS && {
        headers: { "X-Change-Reason": "why, for the audit line" },
      }),
      status: 202,
      ...(ANSWERS && { response: ANSWERS.remove }),
      errors: [404, 409, 422],
      idempotency: IDEMPOTENCY_KEY,
      handler: async ({ params, query, req, principal, idempotencyKey }) => {
        const force = query.force ?? false;
        const act = () => svc.remove(params.EnvId, { caller: callerOf(principal), force, requestId: req.requestId, reason: headerReason(req.headers), region: query.region });
        return actionAnswer(202, await once.run(principal.name, idempotencyKey, { action: "delete", EnvId: params.EnvId, force }, act));
      },
    }),
    route({
      method: "POST",
      path: "/envs/{EnvId}/nodes/terminate",
      scope: "envs:write",
      params: EnvParamsSchema,
      ...(DOCS && {
        summary: "terminate chosen nodes (TerminateComputeNodes); 409 for nodes in a state that cannot be terminated",
        description:
          "Terminating live nodes (CREATED, RUNNING, ABNORMAL) changes capacity, so the scaling guardrails apply: 422 allowScaling, " +
          "minNodes, cooldownSeconds (Retry-After); 403 scaleScopes, not_owner; 409 env_busy, conflict as for scale. Removing only CREATION_FAILED nodes is cleanup.",
      }),
      body: TerminateBodySchema,
      query: ActionQuerySchema,
      ...(ANSWERS && { response: ANSWERS.terminate }),
      errors: [404, 409, 422],
      idempotency: IDEMPOTENCY_KEY,
      handler: async ({ params, body, query, req, principal, idempotencyKey }) => {
        const dryRun = query.dryRun ?? false;
        const act = () =>
          svc.terminate(params.EnvId, body.ComputeNodeIds, { caller: callerOf(principal), dryRun, requestId: req.requestId, reason: body.reason, region: query.region });
        if (dryRun) return { status: 200, body: await act() };
        const request = { action: "terminate-nodes", EnvId: params.EnvId, ComputeNodeIds: body.ComputeNodeIds };
        return actionAnswer(200, await once.run(principal.name, idempotencyKey, request, act));
      },
    }),
  ];

  routes.push(
    openApiRoute(
      {
        title: "batch-scf envs",
        version: "1.0.0",
        ...(DOCS && {
          description: "Inspect, create and scale Tencent Cloud Batch compute environments within guardrails (ENV_POLICY).",
        }),
      },
      () => routes,
      undefined,
      "/openapi/envs.json",
    ),
  );

  return routes;
}
