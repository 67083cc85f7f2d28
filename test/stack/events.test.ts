// The events the local stack builds have the shapes SCF delivers (fixtures under test/fixtures).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type ApigwRoute, apigwEvent, apigwRouteOf, cmqEvent, cmqPushBody, functionUrlEvent, type HttpRequestInfo, httpResponseFrom, parseQuery, timerEvent } from "../../local/stack/events";
import { parseCmqPush } from "../../shared/triggers/cmq-push";

const fixture = (name: string) => JSON.parse(readFileSync(join(__dirname, "..", "fixtures", name), "utf8")) as Record<string, unknown>;
const keys = (o: unknown) => Object.keys(o as object).sort();

const jobsGet: ApigwRoute = { path: "/jobs/{JobId}", stage: "release" };
const req = (over: Partial<HttpRequestInfo> = {}): HttpRequestInfo => ({
  method: "GET",
  path: "/jobs/job-n4ohivif",
  rawQuery: "verbose&tag=a&tag=b",
  headers: { accept: "*/*", authorization: "Bearer k", host: "127.0.0.1:3000", "user-agent": "curl/8.5.0" },
  body: Buffer.alloc(0),
  sourceIp: "127.0.0.1",
  requestId: "rid-1",
  ...over,
});

describe("API Gateway event", () => {
  const captured = fixture("apigw-captured-style.json");
  const ev = apigwEvent(req(), jobsGet, { JobId: "job-n4ohivif" });

  it("has the captured event's fields, values and query parsing", () => {
    expect(keys(ev)).toEqual([...keys(captured), "stageVariables"].sort());
    expect(keys(ev.requestContext)).toEqual([...keys(captured.requestContext), "requestId"].sort());
    expect(ev.requestContext).toMatchObject({ path: "/jobs/{JobId}", httpMethod: "GET", identity: {}, stage: "release", requestId: "rid-1", sourceIp: "127.0.0.1" });
    expect(ev.pathParameters).toEqual(captured.pathParameters);
    expect(ev.queryString).toEqual(captured.queryString);
    expect(ev.queryStringParameters).toEqual(captured.queryStringParameters);
    expect(ev.path).toBe(captured.path);
    expect(ev.body).toBe("");
    expect(ev.isBase64Encoded).toBeUndefined();
    expect((ev.headers as Record<string, string>)["x-qualifier"]).toBe("$LATEST");
  });

  it("sends binary bodies base64-encoded with isBase64Encoded", () => {
    const bin = Buffer.from([0xff, 0xfe, 0x00, 0x01]);
    const e = apigwEvent(req({ method: "POST", body: bin }), jobsGet, {});
    expect(e.isBase64Encoded).toBe(true);
    expect(Buffer.from(e.body as string, "base64")).toEqual(bin);
    expect(apigwEvent(req({ body: Buffer.from('{"a":"é"}') }), jobsGet, {}).body).toBe('{"a":"é"}');
  });

  it.each([
    ["a=1&a=2&b", { a: ["1", "2"], b: true }, { a: ["1", "2"], b: "" }],
    ["x=%2Fy+z&empty=", { x: "/y z", empty: "" }, { x: "/y z", empty: "" }],
    ["", {}, {}],
  ])("parses the query %j", (raw, qs, qsp) => {
    expect(parseQuery(raw)).toEqual({ queryString: qs, queryStringParameters: qsp });
  });

  it("parses keys named like Object.prototype's members as parameters, into objects without a prototype", () => {
    const { queryString, queryStringParameters } = parseQuery("toString=1&constructor&__proto__=x&__proto__=y&hasOwnProperty=1&hasOwnProperty=2");
    for (const q of [queryString, queryStringParameters]) {
      expect(Object.getPrototypeOf(q)).toBeNull();
      expect(Object.keys(q)).toEqual(["toString", "constructor", "__proto__", "hasOwnProperty"]);
    }
    expect(Object.getOwnPropertyDescriptor(queryString, "__proto__")?.value).toEqual(["x", "y"]);
    expect(JSON.parse(JSON.stringify(queryString))).toEqual(JSON.parse('{"toString":"1","constructor":true,"__proto__":["x","y"],"hasOwnProperty":["1","2"]}'));
    expect(JSON.stringify(queryStringParameters)).toBe('{"toString":"1","constructor":"","__proto__":["x","y"],"hasOwnProperty":["1","2"]}');
    expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain("x");
  });
});

describe("Function URL event", () => {
  it("has exactly the Function URL fields, with the client address header", () => {
    const ev = functionUrlEvent(req({ method: "POST", path: "/envs/env-ptoxdb1t/scale", rawQuery: "dryRun=true", body: Buffer.from('{"DesiredComputeNodeCount":3}') }));
    const doc = fixture("function-url.json");
    expect(keys(ev)).toEqual(keys(doc));
    expect(ev.queryString).toEqual(doc.queryString);
    expect(ev.body).toBe(doc.body);
    expect((ev.headers as Record<string, string>)["x-scf-remote-addr"]).toBe("127.0.0.1");
  });
});

describe("CMQ and timer events", () => {
  it("wraps a topic message in Records[].CMQ like the trigger does", () => {
    const doc = fixture("cmq-batch-node-event.json") as { Records: Array<{ CMQ: Record<string, unknown> }> };
    const msgBody = doc.Records[0]!.CMQ.msgBody as string;
    const ev = cmqEvent({ topic: "batch-node-events", subscription: "node-abnormal", msgBody }) as typeof doc;
    expect(ev.Records).toHaveLength(1);
    expect(keys(ev.Records[0]!.CMQ)).toEqual(keys(doc.Records[0]!.CMQ));
    expect(ev.Records[0]!.CMQ).toMatchObject({ type: "topic", topicName: "batch-node-events", msgBody, topicOwner: expect.any(Number) });
    expect(ev.Records[0]!.CMQ.msgId).toMatch(/^\d+$/);
  });

  it("pushes a topic message with the documented HTTP push body (JSON format), which node-abnormal reads back", () => {
    const doc = fixture("cmq-http-push.json");
    const body = cmqPushBody({ topic: "batch-node-events", subscription: "node-abnormal", msgBody: doc.msgBody as string, msgId: "6942316962", now: new Date(1529073799_000) });
    expect(body).toEqual(doc);
    expect(parseCmqPush(JSON.stringify(body)).messages[0]).toMatchObject({ msgId: "6942316962", topicName: "batch-node-events" });
  });

  it("builds the Timer event with a second-precision UTC Time", () => {
    const ev = timerEvent({ triggerName: "daily-cost", message: "", time: new Date("2019-02-21T11:49:00.123Z") });
    expect(ev).toEqual({ ...fixture("timer.json"), Time: "2019-02-21T11:49:00Z" });
  });
});

describe("integrated response", () => {
  it.each([
    [{ statusCode: 201, headers: { "Content-Type": "application/json" }, body: '{"JobId":"job-1"}', isBase64Encoded: false }, 201, '{"JobId":"job-1"}'],
    [{ statusCode: 200, body: Buffer.from("png").toString("base64"), isBase64Encoded: true }, 200, "png"],
    [{ statusCode: 204 }, 204, ""],
  ])("turns %j into HTTP", (value, status, body) => {
    const r = httpResponseFrom(value, "rid");
    if ("invalid" in r) throw new Error(r.invalid);
    expect(r.statusCode).toBe(status);
    expect(r.body.toString()).toBe(body);
  });

  it.each([[null], ["ok"], [{ body: "x" }], [{ statusCode: 200, body: { a: 1 } }], [{ statusCode: 99 }], [[1, 2]]])("refuses %j like API Gateway", (value) => {
    expect(httpResponseFrom(value, "rid-9")).toEqual({ invalid: "requestId rid-9 , Invalid scf response. expected scf response valid JSON." });
  });
});

describe("API Gateway shape on a local Function URL", () => {
  it("takes requestContext.path and the stage from the request: no route table exists", () => {
    expect(apigwRouteOf("/release/jobs/job-1")).toEqual({ route: { path: "/jobs/job-1", stage: "release" }, path: "/jobs/job-1" });
    expect(apigwRouteOf("/test")).toEqual({ route: { path: "/", stage: "test" }, path: "/" });
    expect(apigwRouteOf("/jobs")).toEqual({ route: { path: "/jobs", stage: "release" }, path: "/jobs" });
    expect(apigwRouteOf("/releases/x").route.stage).toBe("release");
    const ev = apigwEvent(req({ method: "DELETE" }), apigwRouteOf("/jobs/job-1").route);
    expect(ev.requestContext).toMatchObject({ path: "/jobs/job-1", httpMethod: "DELETE", stage: "release" });
    expect(ev.pathParameters).toEqual({});
  });
});
