"use strict";
// Bundle shim: Batch answers no server-sent events; the SDK's SSE model pulls in readline (~4 ms of init).
class SSEResponseModel {
  constructor() {
    throw new Error("server-sent events are not supported by the bundled Batch client");
  }
}
module.exports = { SSEResponseModel };
