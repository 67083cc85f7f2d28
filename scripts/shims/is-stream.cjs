"use strict";
const isStream = (s) => s !== null && typeof s === "object" && typeof s.pipe === "function";
module.exports = isStream;
module.exports.default = isStream;
