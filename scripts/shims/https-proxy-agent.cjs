"use strict";
// Bundle shim: SCF functions reach Batch directly; a proxy (http_proxy) is refused loudly.
class HttpsProxyAgent {
  constructor() {
    throw new Error("http_proxy is set, but the bundled Batch client does not support proxies");
  }
}
module.exports = HttpsProxyAgent;
module.exports.default = HttpsProxyAgent;
module.exports.HttpsProxyAgent = HttpsProxyAgent;
