"use strict";
// Bundle shim: only used for multipart uploads, which Batch does not have.
const buffer = async (stream) => {
  const chunks = [];
  for await (const c of stream) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
};
module.exports = { buffer, default: { buffer } };
