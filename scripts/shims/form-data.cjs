"use strict";
// Bundle shim: Batch has no multipart actions.
class FormData {
  constructor() {
    throw new Error("multipart requests are not supported by the bundled Batch client");
  }
}
module.exports = FormData;
module.exports.default = FormData;
