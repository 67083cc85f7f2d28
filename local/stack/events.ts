// The events SCF hands a function, built from what the local stack sees: an HTTP request
// (API Gateway or Function URL shape), a topic message (CMQ `Records[].CMQ`), a timer tick.
// Shapes follow ../shared/batch-facts.md §8 and the captured-style fixtures under test/fixtures:
// lower-case headers, `identity: {}`, query values that are a string, an array or `true`.
import { randomUUID } from "node:crypto";
import { formatBatchTime } from "../../shared/schemas/batch-time";

/** Account id the local stack pretends to be (CMQ topicOwner, TENCENTCLOUD_APPID). */
export const LOCAL_APPID = 1250000000;
export const LOCAL_SERVICE_ID = "service-local0000";

export interface HttpRequestInfo {
  method: string;
  /** Path without the query, already stripped of a stage prefix. */
  path: string;
  /** Raw query string without `?`. */
  rawQuery: string;
  /** Header names lower-case. */
  headers: Record<string, string>;
  body: Buffer;
  sourceIp: string;
  requestId: string;
}

export type HttpEventShape = "apigw" | "function-url";

export interface ParsedQuery {
  /** `queryString` as SCF parses it: `?a` → true, `?a=1&a=2` → ["1","2"]. */
  queryString: Record<string, string | string[] | true>;
  /** `queryStringParameters` as captured: `?a` → "", repeats → array. */
  queryStringParameters: Record<string, string | string[]>;
}

/**
 * Both objects have no prototype, and a key is looked up among their own members only: a key such
 * as `toString` or `constructor` once found the inherited method, took it for an earlier value and
 * sent `[null, "1"]` (the function refused the event as no HTTP request: `400 bad_event`), and
 * `__proto__` replaced the object's prototype instead of being a parameter.
 */
export function parseQuery(raw: string): ParsedQuery {
  const queryString: ParsedQuery["queryString"] = Object.create(null);
  const queryStringParameters: ParsedQuery["queryStringParameters"] = Object.create(null);
  for (const part of raw.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const key = decode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? undefined : decode(part.slice(eq + 1));
    const prev = Object.hasOwn(queryString, key) ? queryString[key] : undefined;
    if (prev === undefined) {
      queryString[key] = value ?? true;
      queryStringParameters[key] = value ?? "";
    } else {
      const list = Array.isArray(prev) ? prev : [prev === true ? "" : prev];
      queryString[key] = [...list, value ?? ""];
      queryStringParameters[key] = [...list, value ?? ""];
    }
  }
  return { queryString, queryStringParameters };
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, " "));
  } catch {
    return s;
  }
}

/** Built once: a non-streaming decode() keeps no state from one call to the next. */
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** The body as SCF delivers it: text when it is valid UTF-8, base64 otherwise. */
function bodyOf(buf: Buffer): { body: string; base64: boolean } {
  if (buf.length === 0) return { body: "", base64: false };
  try {
    return { body: strictUtf8.decode(buf), base64: false };
  } catch {
    return { body: buf.toString("base64"), base64: true };
  }
}

/** What an API Gateway event says about its API: the route's path template and the stage. */
export interface ApigwRoute {
  /** requestContext.path: the API's path (a template such as `/jobs/{JobId}` behind a real gateway). */
  path: string;
  stage: string;
  serviceId?: string;
}

/**
 * The API Gateway shape of a request to a local Function URL (`x-local-event-shape: apigw`): no
 * route table exists any more, so requestContext.path is the request's path (stage stripped) and
 * the stage is the path's leading stage segment, else `release`.
 */
export function apigwRouteOf(path: string): { route: ApigwRoute; path: string } {
  const m = /^\/(release|prepub|test)(\/.*)?$/.exec(path);
  const stripped = m ? (m[2] ?? "/") : path;
  return { route: { path: stripped, stage: m?.[1] ?? "release" }, path: stripped };
}

export function apigwEvent(req: HttpRequestInfo, route: ApigwRoute, pathParameters: Record<string, string> = {}): Record<string, unknown> {
  const { queryString, queryStringParameters } = parseQuery(req.rawQuery);
  const { body, base64 } = bodyOf(req.body);
  return {
    requestContext: {
      serviceId: route.serviceId ?? LOCAL_SERVICE_ID,
      path: route.path,
      httpMethod: req.method,
      requestId: req.requestId,
      identity: {},
      sourceIp: req.sourceIp,
      stage: route.stage,
    },
    headers: {
      ...req.headers,
      "x-anonymous-consumer": "true",
      "x-api-requestid": req.requestId,
      "x-qualifier": "$LATEST",
    },
    body,
    ...(base64 ? { isBase64Encoded: true } : {}),
    pathParameters,
    queryStringParameters,
    headerParameters: {},
    stageVariables: { stage: route.stage },
    path: req.path,
    queryString,
    httpMethod: req.method,
  };
}

export function functionUrlEvent(req: HttpRequestInfo): Record<string, unknown> {
  const { queryString } = parseQuery(req.rawQuery);
  const { body, base64 } = bodyOf(req.body);
  return {
    // Binary bodies have no documented representation in this shape; base64 is what we send.
    body,
    headers: { ...req.headers, "x-scf-remote-addr": req.sourceIp, ...(base64 ? { "x-local-body-encoding": "base64" } : {}) },
    httpMethod: req.method,
    path: req.path,
    queryString,
  };
}

export function cmqEvent(args: { topic: string; subscription: string; msgBody: string; msgId?: string; now?: Date }): Record<string, unknown> {
  const msgId = args.msgId ?? randomDigits(18);
  return {
    Records: [
      {
        CMQ: {
          type: "topic",
          topicOwner: LOCAL_APPID,
          topicName: args.topic,
          subscriptionName: args.subscription,
          publishTime: (args.now ?? new Date()).toISOString(),
          msgId,
          requestId: randomDigits(18),
          msgBody: args.msgBody,
          msgTag: [],
        },
      },
    ],
  };
}

/**
 * The body a CMQ topic POSTs to a subscribed HTTP endpoint, JSON format (TDMQ for CMQ, "HTTP
 * Endpoint Subscription", doc 1111/46529: the documented sample
 * `{"TopicOwner":100015036,"topicName":…,"subscriptionName":…,"msgId":…,"msgBody":…,"publishTime":11203432}`,
 * sent as text/plain with x-cmq-request-id, x-cmq-message-id, x-cmq-message-tag headers).
 */
export function cmqPushBody(args: { topic: string; subscription: string; msgBody: string; msgId: string; now?: Date }): Record<string, unknown> {
  return {
    TopicOwner: LOCAL_APPID,
    topicName: args.topic,
    subscriptionName: args.subscription,
    msgId: args.msgId,
    msgBody: args.msgBody,
    publishTime: Math.floor((args.now ?? new Date()).getTime() / 1000),
  };
}

export function timerEvent(args: { triggerName: string; message: string; time: Date }): Record<string, unknown> {
  return {
    Type: "Timer",
    TriggerName: args.triggerName,
    Time: args.time.toISOString().replace(/\.\d{3}Z$/, "Z"),
    Message: args.message,
  };
}

/** A Batch compute-node event message, as Batch publishes it (batch-facts §6). */
export function sampleNodeEventBody(args: { envId: string; nodeId: string; eventName?: string; region: string; now?: Date }): string {
  const t = formatBatchTime((args.now ?? new Date()).getTime());
  return JSON.stringify({
    Events: [
      {
        EventVersion: "1.0",
        EventTime: t,
        Region: args.region,
        EventName: args.eventName ?? "COMPUTE_NODE_ABNORMAL",
        EventVars: [],
        Batch: {
          ComputeNodeId: args.nodeId,
          EnvId: args.envId,
          ComputeNodeState: "ABNORMAL",
          Mem: 8,
          Cpu: 4,
          EnvName: "local-demo",
          ResourceCreatedTime: t,
          ComputeNodeInstanceId: "ins-00000000",
        },
      },
    ],
  });
}

/** A Batch job event message (batch-facts §6), as Batch publishes it for a job submitted with Notify. */
export function sampleJobEventBody(args: { jobId: string; eventName?: string; region: string; now?: Date }): string {
  return JSON.stringify({
    Events: [
      {
        EventVersion: "1.0",
        EventTime: formatBatchTime((args.now ?? new Date()).getTime()),
        Region: args.region,
        EventName: args.eventName ?? "JOB_SUCCEED",
        EventVars: [],
        Batch: { JobId: args.jobId },
      },
    ],
  });
}

export function randomDigits(n: number): string {
  let s = "";
  for (const b of randomUUID().replace(/-/g, "") + randomUUID().replace(/-/g, "")) {
    if (s.length >= n) break;
    s += (Number.parseInt(b, 16) % 10).toString();
  }
  return s;
}

export interface ScfHttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * The function's integrated response, as API Gateway turns it into HTTP. Anything that is not
 * `{statusCode, headers?, body?, isBase64Encoded?}` is refused like the real gateway refuses it.
 */
export function httpResponseFrom(value: unknown, requestId: string): ScfHttpResponse | { invalid: string } {
  const invalid = { invalid: `requestId ${requestId} , Invalid scf response. expected scf response valid JSON.` };
  if (!value || typeof value !== "object" || Array.isArray(value)) return invalid;
  const v = value as Record<string, unknown>;
  const status = typeof v.statusCode === "string" ? Number(v.statusCode) : v.statusCode;
  if (typeof status !== "number" || !Number.isInteger(status) || status < 100 || status > 599) return invalid;
  if (v.body !== undefined && v.body !== null && typeof v.body !== "string") return invalid;
  const headers: Record<string, string> = {};
  if (v.headers !== undefined && v.headers !== null) {
    if (typeof v.headers !== "object" || Array.isArray(v.headers)) return invalid;
    for (const [k, h] of Object.entries(v.headers as Record<string, unknown>)) {
      if (h === undefined || h === null) continue;
      headers[k.toLowerCase()] = Array.isArray(h) ? h.map(String).join(", ") : String(h);
    }
  }
  const text = typeof v.body === "string" ? v.body : "";
  const body = v.isBase64Encoded === true ? Buffer.from(text, "base64") : Buffer.from(text, "utf8");
  return { statusCode: status, headers, body };
}
