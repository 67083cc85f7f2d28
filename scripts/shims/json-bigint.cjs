"use strict";
// Bundle shim: Batch requests and replies carry no integers beyond 2^53; native JSON is enough
// and saves bignumber.js (~90 KB). BigInt values are serialised as numbers' decimal text.
function JSONbig() {
  return {
    parse: (text, reviver) => JSON.parse(text, reviver),
    stringify: (value) => JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v)),
  };
}
module.exports = JSONbig;
module.exports.default = JSONbig;
