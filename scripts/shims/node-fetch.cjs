// Bundle shim: Node >= 18 (SCF Nodejs18.15) has fetch built in; the SDK's node-fetch v2 and its
// whatwg-url/tr46 polyfills are ~300 KB of cold start for nothing. Maps node-fetch's `timeout`
// (ms) to an AbortSignal; proxies and agents are not supported in the bundled build.
"use strict";
function nodeFetch(url, options) {
  const o = options || {};
  if (o.agent) throw new Error("the bundled Batch client does not support custom HTTP agents or proxies");
  let signal = o.signal;
  if (!signal && o.timeout) signal = AbortSignal.timeout(o.timeout);
  const headers = {};
  for (const [k, v] of Object.entries(o.headers || {})) {
    if (v === undefined || v === null) continue;
    if (k.toLowerCase() === "host") continue; // fetch derives Host from the URL
    headers[k] = String(v);
  }
  return fetch(url, { method: o.method, headers, body: o.body, signal });
}
module.exports = nodeFetch;
module.exports.default = nodeFetch;
