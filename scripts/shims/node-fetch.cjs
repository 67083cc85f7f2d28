// Bundle shim for the SDK's node-fetch v2: the few features the SDK uses (method, headers, a
// string or Buffer body, `timeout` in ms, `signal`; status, statusText, headers.get, json(),
// text()) over node:http/node:https with keep-alive agents.
// Why not the global fetch: node-fetch v2 and its whatwg-url/tr46 polyfills are ~300 KB of cold
// start, and Node's built-in fetch (undici) costs ~25 ms to load on its first call and ~0.3 ms
// more per request than http.request (bench/results.md). Errors read like node-fetch's
// (`request to <url> failed, reason: connect ECONNREFUSED …`, `network timeout at: <url>`), which
// shared/batch/retry.ts relies on. Proxies and custom agents are not supported in the bundle.
"use strict";

// Free sockets are kept 4 s (undici's default), under Node's and most servers' 5 s keep-alive,
// so a request rarely meets a socket the server is closing. Agents unref idle sockets: a warm
// connection never keeps an SCF invocation (or a test) waiting for the event loop to empty.
// SCF freezes a container between invocations, and the agent's idle timer cannot fire while it
// is frozen: after a thaw, a request could take a socket the server dropped long ago (a refused
// reuse fails even not-safe-to-repeat actions). So idleness is also checked by the wall clock,
// and a socket idle too long is destroyed before each request.
const IDLE_MS = 4000;
const FREED_AT = Symbol("freedAt");
const AGENT_OPTIONS = { keepAlive: true, timeout: IDLE_MS, scheduling: "lifo" };
const agents = {};

function keepAliveAgent(mod) {
  const agent = new mod.Agent(AGENT_OPTIONS);
  agent.on("free", (socket) => {
    socket[FREED_AT] = Date.now();
  });
  return agent;
}

function dropStale(agent) {
  const now = Date.now();
  for (const list of Object.values(agent.freeSockets)) {
    for (const socket of list) if (now - (socket[FREED_AT] ?? now) >= IDLE_MS - 500) socket.destroy();
  }
}

function transport(protocol) {
  if (protocol === "http:") {
    const http = require("node:http");
    agents.http ??= keepAliveAgent(http);
    return { request: http.request, agent: agents.http };
  }
  if (protocol === "https:") {
    const https = require("node:https");
    agents.https ??= keepAliveAgent(https);
    return { request: https.request, agent: agents.https };
  }
  return undefined;
}

class FetchError extends Error {
  constructor(message, type) {
    super(message);
    this.name = "FetchError";
    this.type = type;
  }
}

class Headers {
  constructor(raw) {
    this.raw = raw;
  }
  get(name) {
    const v = this.raw[String(name).toLowerCase()];
    if (v === undefined) return null;
    return Array.isArray(v) ? v.join(", ") : String(v);
  }
}

class Response {
  constructor(url, res, body) {
    this.url = url;
    this.status = res.statusCode;
    this.statusText = res.statusMessage || "";
    this.ok = this.status >= 200 && this.status < 300;
    this.headers = new Headers(res.headers);
    this.body = body;
  }
  async text() {
    return this.body.toString("utf8");
  }
  async json() {
    try {
      return JSON.parse(this.body.toString("utf8"));
    } catch (e) {
      // The body itself is left out: it may carry anything.
      throw new FetchError(`invalid json response body at ${this.url} reason: ${e.message}`, "invalid-json");
    }
  }
}

function nodeFetch(url, options) {
  const o = options || {};
  if (o.agent) return Promise.reject(new Error("the bundled Batch client does not support custom HTTP agents or proxies"));
  return new Promise((resolve, reject) => {
    let target;
    try {
      target = new URL(url);
    } catch {
      return reject(new TypeError(`Only absolute URLs are supported: ${url}`));
    }
    const t = transport(target.protocol);
    if (!t) return reject(new TypeError(`Only HTTP(S) protocols are supported: ${target.protocol}`));
    const signal = o.signal;
    if (signal?.aborted) return reject(abortError());
    dropStale(t.agent);

    const headers = {};
    for (const [k, v] of Object.entries(o.headers || {})) if (v !== undefined && v !== null) headers[k] = String(v);
    const body = o.body === undefined || o.body === null ? undefined : typeof o.body === "string" || Buffer.isBuffer(o.body) ? o.body : String(o.body);
    if (body !== undefined && !Object.keys(headers).some((k) => k.toLowerCase() === "content-length")) headers["Content-Length"] = String(Buffer.byteLength(body));

    let done = false;
    let timer;
    const finish = (err, value) => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      signal?.removeEventListener?.("abort", onAbort);
      if (err) reject(err);
      else resolve(value);
    };
    const req = t.request(target, { method: (o.method || "GET").toUpperCase(), headers, agent: t.agent }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => finish(null, new Response(url, res, Buffer.concat(chunks))));
      res.on("error", (e) => finish(new FetchError(`request to ${url} failed, reason: ${e.message}`, "system")));
      res.on("aborted", () => finish(new FetchError(`request to ${url} failed, reason: socket hang up`, "system")));
    });
    req.on("error", (e) => finish(e instanceof FetchError || e?.name === "AbortError" ? e : new FetchError(`request to ${url} failed, reason: ${e.message}`, "system")));
    // node-fetch's `timeout` covers the whole exchange, the body included.
    if (o.timeout > 0) timer = setTimeout(() => req.destroy(new FetchError(`network timeout at: ${url}`, "request-timeout")), o.timeout);
    function onAbort() {
      req.destroy(abortError());
    }
    signal?.addEventListener?.("abort", onAbort, { once: true });
    req.end(body);
  });
}

function abortError() {
  const e = new Error("The user aborted a request.");
  e.name = "AbortError";
  e.type = "aborted";
  return e;
}

module.exports = nodeFetch;
module.exports.default = nodeFetch;
