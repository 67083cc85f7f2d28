import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeMsgBody, parseCmqEvent } from "../../shared/triggers/cmq";

type Fixture = { Records: Array<{ CMQ: Record<string, unknown> & { msgBody: string } }> };
const fixture = (): Fixture => JSON.parse(readFileSync(join(__dirname, "../fixtures/cmq-batch-node-event.json"), "utf8")) as Fixture;
const withBody = (msgBody: unknown, change: (c: Record<string, unknown>) => void = () => {}): Fixture => {
  const f = fixture();
  const cmq = f.Records[0]!.CMQ as Record<string, unknown>;
  cmq.msgBody = msgBody;
  change(cmq);
  return f;
};
const fixtureMessage = () => JSON.parse(fixture().Records[0]!.CMQ.msgBody) as { Events: Array<Record<string, unknown>> };
const abnormal = (nodeId: string, envId = "env-ptoxdb1t", name = "COMPUTE_NODE_ABNORMAL") => {
  const e = structuredClone(fixtureMessage().Events[0]!) as Record<string, unknown> & { Batch: Record<string, unknown> };
  e.EventName = name;
  e.Batch = { ...e.Batch, ComputeNodeId: nodeId, EnvId: envId, ComputeNodeState: "ABNORMAL" };
  return e;
};

describe("CMQ topic envelope", () => {
  it("reads the documented event: msgId, topic, and the node event's fields", () => {
    const r = parseCmqEvent(fixture());
    expect(r.poison).toEqual([]);
    expect(r.messages).toHaveLength(1);
    const m = r.messages[0]!;
    expect(m.msgId).toBe("123345346");
    expect(m.topicName).toBe("batch-events");
    expect(m.events).toEqual([
      {
        name: "COMPUTE_NODE_CREATED",
        known: true,
        time: Date.parse("2018-06-15T14:43:17Z"),
        region: "ap-guangzhou",
        envId: "env-ptoxdb1t",
        envName: "batch-env",
        nodeId: "node-0iy7wxyo",
        nodeState: "CREATED",
        resourceCreatedTime: "2018-06-15T14:43:18Z",
      },
    ]);
  });

  it("accepts msgBody base64-encoded, as queue readers get it", () => {
    const b64 = Buffer.from(fixture().Records[0]!.CMQ.msgBody).toString("base64");
    const r = parseCmqEvent(withBody(b64));
    expect(r.poison).toEqual([]);
    expect(r.messages[0]!.events[0]!.nodeId).toBe("node-0iy7wxyo");
  });

  it("reads every event of a message and both event-name spellings", () => {
    const body = JSON.stringify({ Events: [abnormal("node-aaaaaaaa"), abnormal("node-bbbbbbbb", "env-ptoxdb1t", "ComputeNodeAbnormal")] });
    const r = parseCmqEvent(withBody(body));
    expect(r.messages[0]!.events.map((e) => [e.name, e.nodeId])).toEqual([
      ["COMPUTE_NODE_ABNORMAL", "node-aaaaaaaa"],
      ["COMPUTE_NODE_ABNORMAL", "node-bbbbbbbb"],
    ]);
  });

  it("keeps unknown event names (to count them) and unknown fields", () => {
    const e = abnormal("node-aaaaaaaa", "env-ptoxdb1t", "SOMETHING_NEW");
    (e as Record<string, unknown>).Extra = { a: 1 };
    const r = parseCmqEvent(withBody(JSON.stringify({ Events: [e] }), (c) => (c.newField = "x")));
    expect(r.messages[0]!.events[0]).toMatchObject({ name: "SOMETHING_NEW", known: false });
  });

  it("takes a numeric msgId and an already-parsed msgBody from a local bus", () => {
    const r = parseCmqEvent(withBody(fixtureMessage(), (c) => (c.msgId = 42)));
    expect(r.messages[0]!.msgId).toBe("42");
    expect(r.messages[0]!.events).toHaveLength(1);
  });

  it("reports messages that can never be parsed, by msgId, without throwing", () => {
    const f = withBody("not json at all {");
    f.Records.push(withBody(JSON.stringify({ Events: [{ Batch: {} }] }), (c) => (c.msgId = "m2")).Records[0]!);
    f.Records.push(withBody(JSON.stringify({ hello: "world" }), (c) => (c.msgId = "m3")).Records[0]!);
    f.Records.push(fixture().Records[0]!);
    const r = parseCmqEvent(f);
    expect(r.poison.map((p) => p.msgId)).toEqual(["123345346", "m2", "m3"]);
    expect(r.poison[0]!.reason).toMatch(/neither JSON nor base64/);
    expect(r.poison[1]!.reason).toMatch(/EventName missing/);
    expect(r.messages).toHaveLength(1);
  });

  it("drops a message whose Events is empty as poison, so it is logged by msgId", () => {
    const r = parseCmqEvent(withBody('{"Events":[]}'));
    expect(r.messages).toEqual([]);
    expect(r.poison).toEqual([{ msgId: "123345346", reason: "Events is empty" }]);
  });

  it("reports a record without CMQ and an event that is no CMQ event at all", () => {
    expect(parseCmqEvent({ Records: [{ Sns: {} }] }).poison).toEqual([{ msgId: "record[0]", reason: expect.stringMatching(/Records\[0\]\.CMQ/) }]);
    expect(parseCmqEvent({ Type: "Timer" }).poison[0]!.msgId).toBe("(event)");
    expect(parseCmqEvent(null).messages).toEqual([]);
  });

  it("decodes JSON, base64 JSON, and rejects base64 of non-JSON", () => {
    expect(decodeMsgBody('{"Events":[]}')).toEqual({ ok: true, value: { Events: [] } });
    expect(decodeMsgBody(Buffer.from('{"Events":[]}').toString("base64"))).toEqual({ ok: true, value: { Events: [] } });
    expect(decodeMsgBody(Buffer.from("hello").toString("base64")).ok).toBe(false);
    expect(decodeMsgBody("").ok).toBe(false);
  });
});
