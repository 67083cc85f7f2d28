// The CMQ and timer functions fed bad events: truncated, wrong-typed, oversized, base64-garbled,
// hostile ids. Poison is logged and dropped (the handler resolves, so SCF does not retry it
// forever); a valid event in the same batch is still processed. Handlers in-process, their Batch
// port on a test emulator.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeHandler as makeCostHandler } from "../../functions/cost-report/handler";
import { buildPriceTable } from "../../shared/prices";
import { MAX_WINDOW_DAYS } from "../../functions/cost-report/window";
import { DEFAULT_REMEDIATION } from "../../functions/node-abnormal/config";
import { makeHandler as makeNodeAbnormal } from "../../functions/node-abnormal/handler";
import { EnvPolicySchema } from "../../shared/env-policy";
import { memoryLogger } from "../../shared/log";
import { createFsReportStore } from "../../shared/report-store";
import cmqFixture from "../fixtures/cmq-batch-node-event.json";
import timerFixture from "../fixtures/timer.json";
import { eventually, startTestEmulator, type TestEmulator } from "../support/emulator";
import { applyMutations, fuzzParams, fuzzRuns, mutations, nastyJson, nastyString, noUnhandledRejections, timeoutFor } from "../support/fuzz";
import { fastPort } from "./support";

const RUNS = fuzzRuns(80);
const COST_RUNS = fuzzRuns(25);

type Json = Record<string, unknown>;
const CMQ = cmqFixture.Records[0]!.CMQ;

let t: TestEmulator;
let envId = "";
let nodes: string[] = [];
let cosDir = "";

beforeAll(async () => {
  t = await startTestEmulator({ exec: false });
  cosDir = mkdtempSync(join(tmpdir(), "hardening-cos-"));
  envId = (
    await t.port.createEnv({
      Placement: { Zone: "ap-guangzhou-3" },
      ComputeEnv: { EnvName: "events-fuzz", DesiredComputeNodeCount: 2, EnvData: { InstanceType: "S5.MEDIUM4", ImageId: "img-31tjrtph" } },
    })
  ).envId;
  nodes = await eventually(async () => {
    const env = await t.port.getEnv(envId);
    return env.ComputeNodeSet.length === 2 && env.ComputeNodeSet.every((n) => n.ComputeNodeState === "RUNNING") ? env.ComputeNodeSet.map((n) => n.ComputeNodeId) : undefined;
  });
});
afterAll(async () => {
  await t?.stop();
  rmSync(cosDir, { recursive: true, force: true });
});

const abnormalBody = (env: unknown, node: unknown) =>
  JSON.stringify({
    Events: [
      {
        EventVersion: "1.0",
        EventTime: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
        Region: "ap-guangzhou",
        EventName: "COMPUTE_NODE_ABNORMAL",
        EventVars: [],
        Batch: { EnvId: env, ComputeNodeId: node, ComputeNodeState: "ABNORMAL", EnvName: "events-fuzz" },
      },
    ],
  });

const record = (msgId: string, msgBody: unknown): Json => ({ CMQ: { ...CMQ, msgId, msgBody } });

/** Records that can never be parsed: each must be logged as poison and dropped. */
const poisonRecord: fc.Arbitrary<{ kind: string; build: (msgId: string) => unknown }> = fc.oneof(
  fc.nat({ max: 200 }).map((n) => ({ kind: "truncated", build: (id: string) => record(id, abnormalBody(envId, nodes[0]).slice(0, n)) })),
  fc.tuple(fc.nat(), fc.constantFrom("!", "*", "~", "€")).map(([n, c]) => ({
    kind: "garbled-base64",
    build: (id: string) => {
      const b64 = Buffer.from(abnormalBody(envId, nodes[0])).toString("base64");
      const at = n % b64.length;
      return record(id, `${b64.slice(0, at)}${c}${b64.slice(at + 1)}`);
    },
  })),
  fc.nat({ max: 200 }).map((n) => ({ kind: "truncated-base64", build: (id: string) => record(id, Buffer.from(abnormalBody(envId, nodes[0])).toString("base64").slice(0, n)) })),
  nastyString.map((s) => ({ kind: "base64-of-text", build: (id: string) => record(id, Buffer.from(`not json ${s}`).toString("base64")) })),
  fc.constantFrom<unknown>(42, true, "", "   ", null).map((v) => ({ kind: "wrong-type", build: (id: string) => record(id, v) })),
  fc.constant({ kind: "oversized", build: (id: string) => record(id, `{"Events":[${"x".repeat(300_000)}`) }),
  fc.constant({ kind: "no-event-name", build: (id: string) => record(id, JSON.stringify({ Events: [{ Batch: { EnvId: envId } }, 7, null] })) }),
  fc.constantFrom<unknown>(null, 7, "CMQ", [], { CMQ: "x" }, { cmq: {} }).map((v) => ({ kind: "not-a-record", build: () => v })),
);

/** Events that parse but name something that can never be remediated: dropped, never retried. */
const hopelessRecord: fc.Arbitrary<{ kind: string; build: (msgId: string) => unknown }> = fc.oneof(
  nastyString.map((s) => ({ kind: "hostile-env-id", build: (id: string) => record(id, abnormalBody(s, "node-aaaaaaaa")) })),
  fc.constantFrom("env-zzzzzzzz", "env-", "env-../../x", "x".repeat(5000)).map((e) => ({ kind: "unknown-env", build: (id: string) => record(id, abnormalBody(e, "node-aaaaaaaa")) })),
  nastyJson.map((e) => ({ kind: "wrong-typed-env-id", build: (id: string) => record(id, abnormalBody(e, e)) })),
  mutations.map((ms) => ({ kind: "mutated", build: (id: string) => applyMutations(record(id, JSON.parse(abnormalBody(envId, nodes[1]))), ms) })),
);

function nodeAbnormal() {
  const logger = memoryLogger({ function: "node-abnormal" });
  const alerts: unknown[] = [];
  const handler = makeNodeAbnormal({
    batch: fastPort(t, { maxAttempts: 2 }),
    policy: EnvPolicySchema.parse({}),
    config: { ...DEFAULT_REMEDIATION, graceSeconds: 0, cooldownSeconds: 0, dryRun: true },
    logger,
    alerter: { send: async (a) => void alerts.push(a) },
    region: "ap-guangzhou",
  });
  return { handler, logger };
}

describe("node-abnormal fed bad CMQ events", () => {
  it(
    "drops poison by msgId, resolves, and still processes the valid event of the same batch",
    () =>
      noUnhandledRejections(() =>
        fc.assert(
          fc.asyncProperty(fc.array(poisonRecord, { maxLength: 5 }), fc.array(hopelessRecord, { maxLength: 3 }), fc.nat(), async (poison, hopeless, at) => {
            const records: unknown[] = [...poison.map((p, i) => p.build(`poison-${i}`)), ...hopeless.map((h, i) => h.build(`hopeless-${i}`))];
            records.splice(at % (records.length + 1), 0, record("valid", abnormalBody(envId, nodes[0])));
            const { handler, logger } = nodeAbnormal();
            const label = `poison=${poison.map((p) => p.kind).join(",")} hopeless=${hopeless.map((h) => h.kind).join(",")}`;
            const summary = await handler({ Records: records }, { request_id: "fuzz" }).catch((e: Error & { code?: string }) => {
              throw new Error(`${label}: the handler threw ${e.code ?? ""} ${e.message}, so SCF would retry the batch`);
            });
            expect(summary.envs.map((e) => e.env), label).toContain(envId);
            expect(summary.envs.find((e) => e.env === envId)?.outcome, label).toBe("done");
            const dropped = logger.lines.filter((l) => l.msg === "poison message dropped").map((l) => l.msgId);
            for (let i = 0; i < poison.length; i++) {
              if (poison[i]!.kind === "not-a-record") continue; // named by position, not msgId
              expect(dropped, `${label}: poison-${i} (${poison[i]!.kind}) logged`).toContain(`poison-${i}`);
            }
            expect(summary.poison, label).toBeGreaterThanOrEqual(poison.length);
          }),
          fuzzParams(RUNS),
        ),
      ),
    timeoutFor(RUNS, 40),
  );

  it(
    "resolves for any event at all: mutated timers, mutated CMQ envelopes, arbitrary JSON",
    () =>
      noUnhandledRejections(() =>
        fc.assert(
          fc.asyncProperty(
            fc.oneof(
              mutations.map((ms) => applyMutations(timerFixture, ms)),
              mutations.map((ms) => applyMutations({ Records: [record("m", abnormalBody(envId, nodes[0]))] }, ms)),
              nastyJson,
            ),
            async (event) => {
              const { handler, logger } = nodeAbnormal();
              const summary = await handler(event, { request_id: "fuzz" }).catch((e: Error & { code?: string }) => {
                throw new Error(`${JSON.stringify(event)?.slice(0, 300)}: the handler threw ${e.code ?? ""} ${e.message}`);
              });
              // What could not be read is counted and logged as poison.
              expect(logger.lines.filter((l) => l.msg === "poison message dropped").length).toBe(summary.poison);
            },
          ),
          fuzzParams(RUNS),
        ),
      ),
    timeoutFor(RUNS, 40),
  );
});

describe("cost-report fed bad timer events", () => {
  const tricky: unknown[] = [
    "{",
    '{"from":"2024-01-01"',
    '{"from":"1970-01-01","to":"2100-01-01"}',
    '{"from":"2024-02-30","to":"2024-03-01"}',
    '{"from":"2024-03-02","to":"2024-03-01"}',
    '{"from":{"$gt":""},"to":[1]}',
    Buffer.from('{"from":"2024-01-01","to":"2024-01-02"}').toString("base64"),
    "x".repeat(1024 * 1024),
    { from: 1, to: 2 },
    [],
    42,
    null,
  ];
  const timerEvent = fc.oneof(
    fc.constantFrom(...tricky).map((m) => ({ ...timerFixture, Message: m })),
    nastyJson.map((m) => ({ ...timerFixture, Message: m })),
    nastyString.map((s) => ({ ...timerFixture, Time: s })),
    nastyJson.map((v) => ({ ...timerFixture, Type: v })),
    mutations.map((ms) => applyMutations(timerFixture, ms)),
    nastyJson,
  );

  it(
    "never fails on a bad timer event: it reports the default day with a warning, or the window asked for",
    () =>
      noUnhandledRejections(() =>
        fc.assert(
          fc.asyncProperty(timerEvent, async (event) => {
            const logger = memoryLogger({ function: "cost-report" });
            const handler = makeCostHandler({
              config: { prices: buildPriceTable(), budgets: { total: { monthly: 1 }, envs: {}, tags: {} }, idleAlertHours: 0, timeZone: "Asia/Shanghai" },
              batch: fastPort(t, { maxAttempts: 2 }),
              store: createFsReportStore({ dest: "cos://reports-1250000000.cos.ap-guangzhou.myqcloud.com/fuzz/", baseDir: cosDir }),
              alerter: { send: async () => {} },
              logger,
            });
            const label = JSON.stringify(event)?.slice(0, 300);
            const out = await handler(event, { request_id: "fuzz" }).catch((e: Error) => {
              throw new Error(`${label}: the handler threw ${e.message}`);
            });
            expect(out.ok, label).toBe(true);
            expect(out.files, label).toHaveLength(5);
            const span = Date.parse(out.window.to) - Date.parse(out.window.from);
            expect(span, label).toBeGreaterThan(0);
            expect(span, label).toBeLessThanOrEqual(MAX_WINDOW_DAYS * 24 * 3600_000 + 3600_000);
            if (out.warning) expect(logger.lines.some((l) => l.level === "warn"), label).toBe(true);
          }),
          fuzzParams(COST_RUNS),
        ),
      ),
    timeoutFor(COST_RUNS, 200),
  );

  it("writes only under its destination folder", () => {
    const top = readdirSync(cosDir);
    expect(top).toEqual(["reports-1250000000"]);
    expect(readdirSync(join(cosDir, "reports-1250000000"))).toEqual(["fuzz"]);
  });
});
