"use strict";
// Bundle shim for the SDK's common client (tencentcloud/common/abstract_client.js with its
// http_connection, sign and http/fetch): the one path the batch client takes here, a POST of JSON
// signed with TC3-HMAC-SHA256, written as the SDK writes it (the same headers, body, signature,
// errors and trace id; test/build/sdk-client-shim.test.ts compares the two on the wire). Dropped:
// the older HmacSHA1/HmacSHA256 signing, GET, multipart and skipSign, which Batch's actions do not
// use; asked for, they fail loudly (as a proxy and SSE replies do, through their shims). With the
// compacted batch client (scripts/bundle.ts), a bundle's SDK part goes from 16.8 to 9.0 KB.
const { createHash, createHmac, randomUUID } = require("node:crypto");
const TencentCloudSDKHttpException = require("tencentcloud-sdk-nodejs/tencentcloud/common/exception/tencent_cloud_sdk_exception").default;
const { sdkVersion } = require("tencentcloud-sdk-nodejs/tencentcloud/common/sdk_version");
const fetch = require("./node-fetch.cjs");
// The SDK's own helpers, as the bundles shim them.
const { stringify } = require("./json-bigint.cjs")({ useNativeBigInt: true });
const isStream = require("./is-stream.cjs");
const { buffer: streamToBuffer } = require("./get-stream.cjs");
const HttpsProxyAgent = require("./https-proxy-agent.cjs");
const { SSEResponseModel } = require("./sse-response-model.cjs");

const unsupported = (what) => new Error(`${what} not supported by the bundled Batch client`);
const sha256 = (message, secret, encoding) => createHmac("sha256", secret).update(message).digest(encoding);
const hash = (message) => createHash("sha256").update(message).digest("hex");
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
      // http/fetch.js: a proxy (from the profile or http_proxy) gets an agent of its own.
      const proxy = http.proxy || process.env.http_proxy;
      const agent = !http.agent && proxy ? new HttpsProxyAgent(proxy) : http.agent;
      res = await fetch(url, { method: "POST", timeout: http.reqTimeout * 1000, headers: h, agent, signal: options.signal, body });
    } catch (e) {
      throw new TencentCloudSDKHttpException(e.message, "", traceId);
    }
    return this.parseResponse(res);
  }

  async parseResponse(res) {
    const traceId = res.headers.get("x-tc-traceid");
    if (res.status !== 200) {
      const tcError = new TencentCloudSDKHttpException(res.statusText, "", traceId);
      tcError.httpCode = res.status;
      throw tcError;
    }
    if (res.headers.get("content-type") === "text/event-stream") return new SSEResponseModel(res.body);
    const data = await res.json();
    if (data.Response.Error) {
      const tcError = new TencentCloudSDKHttpException(data.Response.Error.Message, data.Response.RequestId, traceId);
      tcError.code = data.Response.Error.Code;
      throw tcError;
    }
    return data.Response;
  }
}

module.exports = { AbstractClient };
