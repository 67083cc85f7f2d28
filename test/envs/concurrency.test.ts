// Concurrent writers on one env (issue 18): the envs function never answers Applied for a desired
// count another request overwrote. Each request runs in a function instance of its own (SCF runs one
// invocation per instance at a time), all against one emulator, through the real SDK. With the
// emulator's EMULATOR_ENV_BUSY_MS switch an env applying a change refuses another
// (UnsupportedOperation.ComputeEnvAcceptOtherRequest → 409 env_busy + Retry-After); without it
// every write lands and the re-read after each write is what keeps the answers true.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emulatorOptionsFromEnv } from "../../local/emulator/options";
import { ENV_BUSY_RETRY_AFTER_SECONDS } from "../../shared/batch/errors";
import type { BatchPort } from "../../shared/batch/port";
import { createTencentBatch } from "../../shared/batch/tencent-adapter";
import { eventually, startTestEmulator, TEST_SECRET_ID, TEST_SECRET_KEY, type TestEmulator } from "../support/emulator";
import { rounds } from "../support/races";
import { type Answer, createBody, envsFunction } from "./harness";

const POLICY = { default: { cooldownSeconds: 0, maxNodes: 30 } };
const BUSY = "UnsupportedOperation.ComputeEnvAcceptOtherRequest";

type Json = Record<string, unknown>;
type Instance = ReturnType<typeof envsFunction>;

/** A function instance of its own: its own SDK client, limiter and single-flight, as a separate SCF container has. */
function instance(t: TestEmulator, wrap?: (p: BatchPort) => BatchPort): Instance {
  const port = createTencentBatch({
    region: "ap-guangzhou",
    endpoint: t.emu.url,
    credentials: () => ({ secretId: TEST_SECRET_ID, secretKey: TEST_SECRET_KEY }),
    retry: { baseMs: 5, capMs: 20 },
    rates: {},
  });
  return envsFunction(t, POLICY, { port: wrap ? wrap(port) : port });
}

async function createEnv(t: TestEmulator, name: string, desired: number): Promise<string> {
  const r = await instance(t).call("POST", "/envs", { body: createBody(name, desired) });
  expect(r.status, JSON.stringify(r.json)).toBe(201);
  const envId = r.json.EnvId as string;
  if (desired > 0) await eventually(async () => (await t.port.getEnv(envId)).ComputeNodeSet.filter((n) => n.ComputeNodeState === "RUNNING").length === desired);
  return envId;
}

/** `targets.length` concurrent POST /envs/{id}/scale, one instance each: the answers and each instance's audit lines of the env. */
async function race(t: TestEmulator, envId: string, targets: number[]) {
  const instances = targets.map(() => instance(t));
  const answers = await Promise.all(
    targets.map((n, i) => instances[i]!.call("POST", `/envs/${envId}/scale`, { body: { DesiredComputeNodeCount: n, reason: `race to ${n}` } })),
  );
  const audits = instances.map((f) => f.audits().filter((a) => a.env_id === envId && a.what === "scale"));
  return { answers, audits };
}

const desiredOf = async (t: TestEmulator, envId: string) => (await t.port.getEnv(envId)).DesiredComputeNodeCount;
const summary = (answers: Answer[]) => answers.map((a) => `${a.status} ${a.json.code ?? (a.json.Applied ? "applied" : "")}`).join(", ");

describe("20 concurrent scales, the emulator's busy switch on (EMULATOR_ENV_BUSY_MS)", () => {
  let t: TestEmulator;
  beforeAll(async () => {
    // 3 s: longer than the whole burst, so the env is still applying the first change when the last write arrives.
    t = await startTestEmulator({ timings: { envBusyMs: 3000 } });
  });
  afterAll(() => t.stop());

  it.each(rounds())("exactly one 200 Applied, the rest 409/422, one audit line, and the env ends at what the 200 said (round %i)", async (round) => {
    const envId = await createEnv(t, `race-busy-${round}`, 3);
    // Up and down (down terminates idle nodes), never the current 3 (that would be a no-op 200).
    const targets = [0, 1, 2, ...Array.from({ length: 17 }, (_, i) => i + 4)];
    const { answers, audits } = await race(t, envId, targets);

    const applied = answers.filter((a) => a.status === 200);
    expect(applied, summary(answers)).toHaveLength(1);
    expect(applied[0]!.json).toMatchObject({ Applied: true, DryRun: false });
    const won = applied[0]!.json.DesiredComputeNodeCount as number;
    for (const a of answers.filter((x) => x.status !== 200)) expect([409, 422], JSON.stringify(a.json)).toContain(a.status);
    // The env was busy for everyone else: Batch's refusal is answered 409 env_busy with Retry-After.
    const busy = answers.filter((a) => a.json.code === "env_busy");
    expect(busy.length, summary(answers)).toBeGreaterThan(0);
    for (const a of busy) {
      expect(a.status).toBe(409);
      expect(a.json.tencentCode).toBe(BUSY);
      expect(a.headers["retry-after"]).toBe(String(ENV_BUSY_RETRY_AFTER_SECONDS));
    }

    const lines = audits.flat();
    expect(lines, JSON.stringify(lines)).toHaveLength(1);
    expect(lines[0]).toMatchObject({ outcome: "applied", after: { DesiredComputeNodeCount: won }, found: { DesiredComputeNodeCount: won } });
    expect(audits[answers.indexOf(applied[0]!)]).toHaveLength(1);
    expect(await desiredOf(t, envId)).toBe(won);
  });
});

describe("20 concurrent scales, the busy switch off (every write lands)", () => {
  let t: TestEmulator;
  beforeAll(async () => {
    // Nodes stay SUBMITTED (never destroyable) during the test, so every write is an absolute ModifyComputeEnv.
    t = await startTestEmulator({ timings: { nodeSubmitMs: 60_000 } });
  });
  afterAll(() => t.stop());

  it.each(rounds())("answers no 200 for a count other than the one its re-read found; the env ends at the last applied count (round %i)", async (round) => {
    const envId = await createEnv(t, `race-free-${round}`, 0);
    const targets = Array.from({ length: 20 }, (_, i) => i + 1);
    const { answers, audits } = await race(t, envId, targets);

    const applied = answers.map((a, i) => ({ a, i })).filter(({ a }) => a.status === 200);
    expect(applied.length, summary(answers)).toBeGreaterThan(0);
    for (const { a, i } of applied) {
      expect(a.json.Applied).toBe(true);
      // Its own audit line: the state re-read after its write is the count it answers.
      const lines = audits[i]!;
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ outcome: "applied", found: { DesiredComputeNodeCount: a.json.DesiredComputeNodeCount } });
    }
    for (const [i, a] of answers.entries()) {
      if (a.status === 200) continue;
      expect(a.status, JSON.stringify(a.json)).toBe(409);
      if (a.json.code !== "conflict") continue;
      // A conflict names the state it found, which is not what it set, and is audited as such.
      const found = (a.json.found as Json).DesiredComputeNodeCount;
      expect(typeof found).toBe("number");
      expect(found).not.toBe(targets[i]);
      expect(a.json.requested).toEqual({ DesiredComputeNodeCount: targets[i] });
      // Audited when its write went through; a write Batch refused (too few nodes to destroy for
      // a count planned from a stale read) changed nothing.
      if ((a.json.requestIds as string[]).length > 0) expect(audits[i]).toMatchObject([{ outcome: "conflict", found: { DesiredComputeNodeCount: found } }]);
      else expect([audits[i], a.json.tencentCode]).toEqual([[], "UnsupportedOperation.NotEnoughComputeNodesToTerminate"]);
    }
    // Every write is an absolute ModifyComputeEnv followed by its own re-read: the last one's
    // re-read found its own count, so the env ends at a count a 200 answered.
    const final = await desiredOf(t, envId);
    expect(applied.map(({ a }) => a.json.DesiredComputeNodeCount)).toContain(final);
  });

  it("answers 409 conflict, naming the count found, when another write lands between its write and its re-read", async () => {
    const envId = await createEnv(t, "race-between", 0);
    // Another caller's ModifyComputeEnv right after this instance's own.
    const f = instance(t, (p) => ({
      ...p,
      async setDesiredNodes(id, n) {
        const ack = await p.setDesiredNodes(id, n);
        await t.port.setDesiredNodes(id, n + 5);
        return ack;
      },
    }));
    const r = await f.call("POST", `/envs/${envId}/scale`, { body: { DesiredComputeNodeCount: 2 } });
    expect(r.status, JSON.stringify(r.json)).toBe(409);
    expect(r.json).toMatchObject({
      code: "conflict",
      rule: "concurrentChange",
      found: { DesiredComputeNodeCount: 7, NextAction: null },
      requested: { DesiredComputeNodeCount: 2 },
    });
    expect(r.json.detail).toMatch(/now shows DesiredComputeNodeCount 7, not the 2 this scale asked for/);
    expect((r.json.requestIds as string[]).length).toBe(1);
    const lines = f.audits().filter((a) => a.env_id === envId);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ what: "scale", outcome: "conflict", found: { DesiredComputeNodeCount: 7 }, after: { DesiredComputeNodeCount: 2 } });
  });
});

describe("node terminate re-reads too", () => {
  let t: TestEmulator;
  beforeAll(async () => {
    t = await startTestEmulator();
  });
  afterAll(() => t.stop());

  it("answers 409 conflict when the desired count another request set replaces the one its termination left", async () => {
    const envId = await createEnv(t, "race-term", 2);
    const [node] = (await t.port.getEnv(envId)).ComputeNodeSet;
    const f = instance(t, (p) => ({
      ...p,
      async terminateNodes(id, ids) {
        const ack = await p.terminateNodes(id, ids);
        await t.port.setDesiredNodes(id, 4);
        return ack;
      },
    }));
    const r = await f.call("POST", `/envs/${envId}/nodes/terminate`, { body: { ComputeNodeIds: [node!.ComputeNodeId] } });
    expect(r.status, JSON.stringify(r.json)).toBe(409);
    expect(r.json).toMatchObject({ code: "conflict", found: { DesiredComputeNodeCount: 4 }, requested: { DesiredComputeNodeCount: 1 } });
    expect(f.audits().filter((a) => a.env_id === envId)).toMatchObject([{ what: "terminate-nodes", outcome: "conflict", terminated: [node!.ComputeNodeId] }]);
    // Without another writer the same request is applied.
    const other = (await t.port.getEnv(envId)).ComputeNodeSet.find((n) => n.ComputeNodeState === "RUNNING")!;
    const g = instance(t);
    const ok = await g.call("POST", `/envs/${envId}/nodes/terminate`, { body: { ComputeNodeIds: [other.ComputeNodeId] } });
    expect(ok.status, JSON.stringify(ok.json)).toBe(200);
    expect(ok.json).toMatchObject({ Applied: true, PreviousDesiredComputeNodeCount: 4, DesiredComputeNodeCount: 3 });
    expect(g.audits().filter((a) => a.env_id === envId)).toMatchObject([{ outcome: "applied", found: { DesiredComputeNodeCount: 3 } }]);
  });
});

describe("an env applying a change (busy switch on, nodes slow to go)", () => {
  let t: TestEmulator;
  beforeAll(async () => {
    // A 200 ms minimum, but a terminated node takes 2 s to go: the env stays busy until it has.
    t = await startTestEmulator({ timings: { envBusyMs: 200, nodeDeleteMs: 2000 } });
  });
  afterAll(() => t.stop());

  it("refuses scale, node terminate and delete with 409 env_busy + Retry-After until its nodes have gone, then accepts", async () => {
    const envId = await createEnv(t, "busy-env", 2);
    const f = instance(t);
    const down = await f.call("POST", `/envs/${envId}/scale`, { body: { DesiredComputeNodeCount: 1 } });
    expect(down.status, JSON.stringify(down.json)).toBe(200);
    await new Promise((r) => setTimeout(r, 300)); // past the minimum: the going node is what keeps it busy
    const [running] = (await t.port.getEnv(envId)).ComputeNodeSet.filter((n) => n.ComputeNodeState === "RUNNING");
    const refused: Array<[string, Answer]> = [
      ["scale", await f.call("POST", `/envs/${envId}/scale`, { body: { DesiredComputeNodeCount: 3 } })],
      ["terminate", await f.call("POST", `/envs/${envId}/nodes/terminate`, { body: { ComputeNodeIds: [running!.ComputeNodeId] } })],
      ["delete", await f.call("DELETE", `/envs/${envId}`)],
    ];
    for (const [what, r] of refused) {
      expect([r.status, r.json.code, r.json.tencentCode], what).toEqual([409, "env_busy", BUSY]);
      expect(r.headers["retry-after"], what).toBe(String(ENV_BUSY_RETRY_AFTER_SECONDS));
      expect(r.json.detail, what).toMatch(/busy with another request/);
    }
    const env = await t.port.getEnv(envId);
    expect(env.DesiredComputeNodeCount).toBe(1);
    expect(env.NextAction ?? null).toBe(null);
    expect(env.ComputeNodeSet.find((n) => n.ComputeNodeId === running!.ComputeNodeId)?.ComputeNodeState).toBe("RUNNING");
    expect(f.audits().filter((a) => a.env_id === envId).map((a) => a.outcome)).toEqual(["applied"]);

    // Once the node has gone, the env takes changes again.
    await eventually(async () => (await t.port.getEnv(envId)).ComputeNodeSet.length === 1);
    const again = await f.call("POST", `/envs/${envId}/scale`, { body: { DesiredComputeNodeCount: 3 } });
    expect(again.status, JSON.stringify(again.json)).toBe(200);
    expect(again.json).toMatchObject({ Applied: true, PreviousDesiredComputeNodeCount: 1, DesiredComputeNodeCount: 3 });
  });
});

describe("the switch", () => {
  it("is EMULATOR_ENV_BUSY_MS, off unless set above 0, and refuses a value that is not a number of ms", () => {
    expect(emulatorOptionsFromEnv({}).timings?.envBusyMs).toBeUndefined();
    expect(emulatorOptionsFromEnv({ EMULATOR_ENV_BUSY_MS: "1500" }).timings?.envBusyMs).toBe(1500);
    expect(() => emulatorOptionsFromEnv({ EMULATOR_ENV_BUSY_MS: "soon" })).toThrow(/EMULATOR_ENV_BUSY_MS must be a number of milliseconds, got soon/);
  });
});

describe("Idempotency-Key on env actions", () => {
  let t: TestEmulator;
  beforeAll(async () => {
    t = await startTestEmulator();
  });
  afterAll(() => t.stop());

  it("20 concurrent identical scales with one key in one instance are one change answered 20 times; the key is not reusable for another count", async () => {
    const envId = await createEnv(t, "keyed-scale", 0);
    const fn = instance(t);
    const headers = { "Idempotency-Key": "grow-to-2" };
    const body = { DesiredComputeNodeCount: 2, reason: "keyed" };
    const answers = await Promise.all(Array.from({ length: 20 }, () => fn.call("POST", `/envs/${envId}/scale`, { body, headers })));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(answers.filter((a) => a.headers["idempotent-replayed"] === "true")).toHaveLength(19);
    expect(answers.every((a) => a.json.Applied === true && a.json.DesiredComputeNodeCount === 2)).toBe(true);
    expect(fn.audits().filter((a) => a.env_id === envId && a.what === "scale")).toHaveLength(1);
    const reused = await fn.call("POST", `/envs/${envId}/scale`, { body: { DesiredComputeNodeCount: 3 }, headers });
    expect(reused.status).toBe(409);
    expect(reused.json.code).toBe("idempotency_key_reused");
    expect(await desiredOf(t, envId)).toBe(2);
    const empty = await fn.call("POST", `/envs/${envId}/scale`, { body, headers: { "Idempotency-Key": "" } });
    expect(empty.status).toBe(400);
    // A relative change with a key: another instance, which has not seen the key, would make it twice.
    const delta = await fn.call("POST", `/envs/${envId}/scale`, { body: { delta: 1 }, headers: { "Idempotency-Key": "grow-by-1" } });
    expect(delta.status).toBe(400);
    expect(delta.json.errors).toEqual([{ path: "delta", message: expect.stringMatching(/DesiredComputeNodeCount/) }]);
  });
});

describe("a scale whose own first write makes the env busy for its second", () => {
  let t: TestEmulator;
  beforeAll(async () => {
    t = await startTestEmulator({ timings: { envBusyMs: 200 } });
  });
  afterAll(() => t.stop());

  it("answers 409 partially_applied naming what reached Batch, never env_busy as if nothing had", async () => {
    const envId = await createEnv(t, "half-applied", 2);
    const fn = instance(t);
    // Two more nodes that fail to create: desired 4, 2 live, so a scale to 1 terminates a live node and then sets desired.
    await fetch(`${t.emu.url}/_emulator/envs/${envId}/fail-creations`, { method: "POST", body: JSON.stringify({ count: -1 }) });
    await eventually(async () => (await fn.call("POST", `/envs/${envId}/scale`, { body: { DesiredComputeNodeCount: 4 } })).status === 200);
    await eventually(async () => {
      const nodes = (await t.port.getEnv(envId)).ComputeNodeSet;
      return nodes.every((n) => n.ComputeNodeState === "RUNNING" || n.ComputeNodeState === "CREATION_FAILED") && nodes.some((n) => n.ComputeNodeState === "CREATION_FAILED");
    }, 20_000);
    await new Promise((r) => setTimeout(r, 500)); // the busy window of the scale to 4 has passed
    const r = await fn.call("POST", `/envs/${envId}/scale`, { body: { DesiredComputeNodeCount: 1 } });
    expect(r.status, JSON.stringify(r.json)).toBe(409);
    expect(r.json).toMatchObject({ code: "partially_applied", rule: "partialChange", tencentCode: BUSY });
    expect((r.json.requestIds as string[]).length).toBeGreaterThan(0);
    const line = fn.audits().filter((a) => a.env_id === envId && a.what === "scale").pop();
    expect(line).toMatchObject({ outcome: "partial" });
  });
});
