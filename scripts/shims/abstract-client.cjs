"use strict";
// Bundle shim for the SDK's common client (tencentcloud/common/abstract_client.js with its
// http_connection, sign and http/fetch over node-fetch): the one path the batch client takes here,
// a POST of JSON signed with TC3-HMAC-SHA256, written as the SDK writes it (the same headers, body,
// signature, errors and trace id; test/build/sdk-client-shim.test.ts compares the two on the wire),
// sent by `post` below. Dropped: the older HmacSHA1/HmacSHA256 signing, GET, multipart, skipSign,
// proxies and server-sent events, which Batch's actions do not use; asked for, they fail loudly.
// A bundle's SDK part went from 16.8 KB (the SDK's own common client with node-fetch) to 6.7 KB: this
// file, with node-fetch's stand-in and the SDK's small helpers folded in, and the SDK's exception class;
// the generated batch client is not bundled (shared/batch/tencent-adapter.ts calls `request(action, …)`).
const { createHash, createHmac, randomUUID } = require("node:crypto");
const TencentCloudSDKHttpException = require("tencentcloud-sdk-nodejs/tencentcloud/common/exception/tencent_cloud_sdk_exception").default;
const { sdkVersion } = require("tencentcloud-sdk-nodejs/tencentcloud/common/sdk_version");

// ── the transport (what node-fetch did for the SDK) ──────────────────────────────────────
// node:http(s) with keep-alive agents. Why not the global fetch: node-fetch v2 and its
// whatwg-url/tr46 polyfills are ~300 KB of cold start, and Node's built-in fetch (undici) costs
// ~25 ms to load on its first call and ~0.3 ms more per request than http.request
// (bench/results.md). Errors read like node-fetch's (`request to <url> failed, reason: connect
// ECONNREFUSED …`, `network timeout at: <url>`), which shared/batch/retry.ts relies on.
//
// Free sockets are kept 4 s (undici's default), under Node's and most servers' 5 s keep-alive,
// so a request rarely meets a socket the server is closing. Agents unref idle sockets: a warm
// connection never keeps an SCF invocation (or a test) waiting for the event loop to empty.
// SCF freezes a container between invocations, and the agent's idle timer cannot fire while it
// is frozen: after a thaw, a request could take a socket the server dropped long ago (a refused
// reuse fails even not-safe-to-repeat actions). So idleness is also checked by the wall clock,
// and a socket idle too long is destroyed before each request.
const IDLE_MS = 4000;
const FREED_AT = Symbol("freedAt");
const agents = {};

/** node:http for http: and node:https (required only then) for https:, each with its keep-alive agent. */
function transport(protocol) {
  const name = protocol === "http:" ? "http" : protocol === "https:" ? "https" : undefined;
  if (!name) return undefined;
  const mod = name === "http" ? require("node:http") : require("node:https");
  if (!agents[name]) {
    agents[name] = new mod.Agent({ keepAlive: true, timeout: IDLE_MS, scheduling: "lifo" });
    agents[name].on("free", (socket) => {
      socket[FREED_AT] = Date.now();
    });
  }
  return { request: mod.request, agent: agents[name] };
}

function dropStale(agent) {
  const now = Date.now();
  for (const list of Object.values(agent.freeSockets)) {
    for (const socket of list) if (now - (socket[FREED_AT] ?? now) >= IDLE_MS - 500) socket.destroy();
  }
}

const fetchError = (message, type) => Object.assign(new Error(message), { name: "FetchError", type });

function abortError() {
  return Object.assign(new Error("The user aborted a request."), { name: "AbortError", type: "aborted" });
}

/**
 * POSTs `body` (a string or Buffer) to `url`: `headers` (null and undefined left out, Content-Length
 * added), `timeout` in ms over the whole exchange, body included (as node-fetch's), `signal` aborts.
 * Resolves the answer read in full: `{ url, status, statusText, headers (Node's, lower-case), body (a Buffer) }`.
 */
function post(url, { headers: given = {}, body, timeout, signal } = {}) {
  return new Promise((resolve, reject) => {
    let target;
    try {
      target = new URL(url);
    } catch {
      return reject(new TypeError(`Only absolute URLs are supported: ${url}`));
    }
    const t = transport(target.protocol);
    if (!t) return reject(new TypeError(`Only HTTP(S) protocols are supported: ${target.protocol}`));
    if (signal?.aborted) return reject(abortError());
    dropStale(t.agent);

    const headers = {};
    for (const [k, v] of Object.entries(given)) if (v != null) headers[k] = String(v);
    if (body != null && !Object.keys(headers).some((k) => k.toLowerCase() === "content-length")) headers["Content-Length"] = String(Buffer.byteLength(body));

    let timer;
    const onAbort = () => req.destroy(abortError());
    const finish = (err, value) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      if (err) reject(err);
      else resolve(value);
    };
    const failed = (e) => finish(e.name === "FetchError" || e.name === "AbortError" ? e : fetchError(`request to ${url} failed, reason: ${e.message}`, "system"));
    const req = t.request(target, { method: "POST", headers, agent: t.agent }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => finish(null, { url, status: res.statusCode, statusText: res.statusMessage || "", headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", failed);
      res.on("aborted", () => failed(new Error("socket hang up")));
    });
    req.on("error", failed);
    if (timeout > 0) timer = setTimeout(() => req.destroy(fetchError(`network timeout at: ${url}`, "request-timeout")), timeout);
    signal?.addEventListener("abort", onAbort, { once: true });
    req.end(body);
  });
}

// ── the client ───────────────────────────────────────────────────────────────────────────

const unsupported = (what) => new Error(`${what} not supported by the bundled Batch client`);
const sha256 = (message, secret, encoding) => createHmac("sha256", secret).update(message).digest(encoding);
const hash = (message) => createHash("sha256").update(message).digest("hex");
const isStream = (s) => s !== null && typeof s === "object" && typeof s.pipe === "function";
// json-bigint as the SDK configures it (useNativeBigInt): Batch carries no integers beyond 2^53,
// so native JSON, a BigInt written as its decimal text.
const stringify = (value) => JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v));

// http_connection.js's deepRemoveNull: null members go, recursively (nulls inside arrays stay).
function deepRemoveNull(obj) {
  if (Array.isArray(obj)) return obj.map(deepRemoveNull);
  if (typeof obj === "object" && obj !== null && !isStream(obj) && !Buffer.isBuffer(obj)) {
    const result = {};
    for (const key in obj) if (obj[key] !== null) result[key] = deepRemoveNull(obj[key]);
    return result;
  }
  return obj;
}

// sign.js's sign3, for a POST without multipart.
function sign3({ url, payload, timestamp, service, secretId, secretKey, headers }) {
  const u = new URL(url);
  const canonicalHeaders = `content-type:${headers["Content-Type"]}\nhost:${u.hostname}\n`;
  const payloadHash = hash(payload ? (Buffer.isBuffer(payload) ? payload : stringify(payload)) : "");
  const canonicalRequest = `POST\n${u.pathname}\n${u.search.slice(1)}\n${canonicalHeaders}\ncontent-type;host\n${payloadHash}`;
  const d = new Date(timestamp * 1000);
  const date = `${d.getUTCFullYear()}-${`0${d.getUTCMonth() + 1}`.slice(-2)}-${`0${d.getUTCDate()}`.slice(-2)}`;
  const stringToSign = `TC3-HMAC-SHA256\n${timestamp}\n${date}/${service}/tc3_request\n${hash(canonicalRequest)}`;
  const signing = sha256("tc3_request", sha256(service, sha256(date, `TC3${secretKey}`)));
  return `TC3-HMAC-SHA256 Credential=${secretId}/${date}/${service}/tc3_request, SignedHeaders=content-type;host, Signature=${sha256(stringToSign, signing, "hex")}`;
}

class AbstractClient {
  constructor(endpoint, version, { credential, region, profile = {} }) {
    this.path = "/";
    this.credential = credential && "getCredential" in credential ? credential : { secretId: null, secretKey: null, token: null, ...credential };
    this.region = region || null;
    this.sdkVersion = `SDK_NODEJS_${sdkVersion}`;
    this.apiVersion = version;
    this.endpoint = profile?.httpProfile?.endpoint || endpoint;
    this.profile = {
      signMethod: profile?.signMethod || "TC3-HMAC-SHA256",
      httpProfile: { reqMethod: "POST", endpoint: null, protocol: "https://", reqTimeout: 60, ...profile?.httpProfile },
      language: profile.language,
    };
    if (this.profile.language && !["zh-CN", "en-US"].includes(this.profile.language)) {
      throw new TencentCloudSDKHttpException("Language invalid, choices: zh-CN|en-US");
    }
  }

  async getCredential() {
    return "getCredential" in this.credential ? await this.credential.getCredential() : this.credential;
  }

  async request(action, req, options, cb) {
    if (typeof options === "function") {
      cb = options;
      options = {};
    }
    try {
      const result = await this.doRequest(action, req ?? {}, options);
      cb?.(null, result);
      return result;
    } catch (e) {
      cb?.(e, null);
      throw e;
    }
  }

  async doRequest(action, data, options = {}) {
    const http = this.profile.httpProfile;
    const headers = { ...http.headers, ...options.headers };
    let traceId = "";
    for (const key in headers) {
      if (key.toLowerCase() === "x-tc-traceid") {
        traceId = headers[key];
        break;
      }
    }
    if (!traceId) {
      traceId = randomUUID();
      headers["X-TC-TraceId"] = traceId;
    }
    let res;
    try {
      if (this.profile.signMethod !== "TC3-HMAC-SHA256") throw unsupported(`signMethod ${this.profile.signMethod} is`);
      if (String(http.reqMethod).toUpperCase() !== "POST") throw unsupported(`${http.reqMethod} is`);
      if (options.multipart || options.skipSign) throw unsupported("multipart requests and skipSign are");
      const credential = await this.getCredential();
      // http_connection.js reads a streamed member into a Buffer before hashing the body.
      for (const key in data) if (isStream(data[key])) data[key] = await streamToBuffer(data[key]);
      const url = http.protocol + this.endpoint + this.path;
      const payload = deepRemoveNull(data || "");
      const timestamp = parseInt(String(Date.now() / 1000), 10);
      const h = {
        ...headers,
        Host: new URL(url).host,
        "X-TC-Action": action,
        "X-TC-Region": this.region,
        "X-TC-Timestamp": timestamp,
        "X-TC-Version": this.apiVersion,
        "X-TC-Token": credential.token,
        "X-TC-RequestClient": this.sdkVersion,
      };
      if (credential.token == null) delete h["X-TC-Token"];
      if (this.region == null) delete h["X-TC-Region"];
      if (this.profile.language) h["X-TC-Language"] = this.profile.language;
      h["Content-Type"] = h["Content-Type"] || "application/json";
      const body = Buffer.isBuffer(payload) ? payload : stringify(payload);
      h.Authorization = sign3({ url, payload, timestamp, service: this.endpoint.split(".")[0], secretId: credential.secretId, secretKey: credential.secretKey, headers: h });
      // http/fetch.js: a proxy (from the profile or http_proxy) gets an agent of its own; neither is carried here.
      if (http.agent) throw new Error("the bundled Batch client does not support custom HTTP agents or proxies");
      if (http.proxy || process.env.http_proxy) throw new Error("http_proxy is set, but the bundled Batch client does not support proxies");
      res = await post(url, { timeout: http.reqTimeout * 1000, headers: h, signal: options.signal, body });
    } catch (e) {
      throw new TencentCloudSDKHttpException(e.message, "", traceId);
    }
    return this.parseResponse(res);
  }

  async parseResponse(res) {
    // node-fetch's headers.get: null when absent.
    const traceId = res.headers["x-tc-traceid"] ?? null;
    if (res.status !== 200) {
      const tcError = new TencentCloudSDKHttpException(res.statusText, "", traceId);
      tcError.httpCode = res.status;
      throw tcError;
    }
    if (res.headers["content-type"] === "text/event-stream") throw new Error("server-sent events are not supported by the bundled Batch client");
    let data;
    try {
      data = JSON.parse(res.body.toString("utf8"));
    } catch (e) {
      // node-fetch's json() error; the body itself is left out: it may carry anything.
      throw fetchError(`invalid json response body at ${res.url} reason: ${e.message}`, "invalid-json");
    }
    if (data.Response.Error) {
      const tcError = new TencentCloudSDKHttpException(data.Response.Error.Message, data.Response.RequestId, traceId);
      tcError.code = data.Response.Error.Code;
      throw tcError;
    }
    return data.Response;
  }
}

/** get-stream's buffer: a stream's chunks as one Buffer. */
async function streamToBuffer(stream) {
  const chunks = [];
  for await (const c of stream) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

module.exports = { AbstractClient, post };
