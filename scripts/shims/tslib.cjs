"use strict";
// Bundle shim: the three tslib helpers the SDK's batch client and common code use (tslib is ~6.5 KB minified).
function __importDefault(mod) {
  return mod?.__esModule ? mod : { default: mod };
}
function __importStar(mod) {
  if (mod?.__esModule) return mod;
  const result = {};
  if (mod != null) for (const k of Object.keys(mod)) if (k !== "default") result[k] = mod[k];
  result.default = mod;
  return result;
}
function __exportStar(m, exports) {
  for (const p of Object.keys(m)) {
    if (p !== "default" && !Object.hasOwn(exports, p)) {
      Object.defineProperty(exports, p, { enumerable: true, get: () => m[p] });
    }
  }
}
module.exports = { __importDefault, __importStar, __exportStar };
