"use strict";
const { randomUUID } = require("node:crypto");
module.exports = { v4: () => randomUUID() };
