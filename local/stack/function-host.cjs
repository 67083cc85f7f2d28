// One SCF "instance": a plain Node process (no TypeScript loader, like the SCF runtime) that
// requires the function's production bundle and serves invocations sent over IPC by the local
// stack (local/stack/function-pool.ts). Started as `node function-host.cjs <entry.js> <export>`
// with the function's environment. Plain CommonJS on purpose: what runs here is exactly what
// SCF would run.
"use strict";

const Module = require("node:module");
const { readFileSync } = require("node:fs");
const { dirname } = require("node:path");

const [entry, exportName] = process.argv.slice(2);

// SCF unpacks the zip into /var/user with no package.json above it, so index.js is CommonJS.
// Here the repository's package.json says "type": "module"; compile the bundle as CommonJS
// explicitly instead of letting the nearest package.json decide.
function loadCommonJs(file) {
  const m = new Module(file, null);
  m.filename = file;
  m.paths = Module._nodeModulePaths(dirname(file));
  m._compile(readFileSync(file, "utf8"), file);
  m.loaded = true;
  return m.exports;
}
let handler;
let initError;
try {
  const mod = loadCommonJs(entry);
  handler = mod[exportName];
  if (typeof handler !== "function") {
    initError = { errorType: "HandlerNotFound", errorMessage: `${entry} does not export a function ${exportName}` };
  }
} catch (e) {
  initError = { errorType: e?.name || "Error", errorMessage: String(e?.message || e), stackTrace: e?.stack };
}

process.send({ type: initError ? "init-error" : "ready", error: initError, nodeVersion: process.version });

function toError(e) {
  if (e instanceof Error) return { errorType: e.name, errorMessage: e.message, stackTrace: e.stack };
  return { errorType: "Error", errorMessage: typeof e === "string" ? e : JSON.stringify(e) };
}

process.on("message", (msg) => {
  if (msg?.type !== "invoke") return;
  const { id, event, context: info } = msg;
  const reply = (m) => {
    if (process.connected) process.send({ id, type: "result", ...m });
  };
  if (initError) return reply({ ok: false, error: initError, kind: "init" });
  if (info.triggerSrc) process.env.TRIGGER_SRC = info.triggerSrc;
  else delete process.env.TRIGGER_SRC;
  const deadline = Date.now() + info.timeLimitMs;
  // The fields of SCF's Node.js context object (the secrets it carries are left out).
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    memory_limit_in_mb: info.memoryMb,
    time_limit_in_ms: info.timeLimitMs,
    request_id: info.requestId,
    function_name: info.functionName,
    function_version: "$LATEST",
    namespace: "default",
    tencentcloud_region: info.region,
    tencentcloud_appid: info.appId,
    tencentcloud_uin: info.uin,
  };
  let settled = false;
  const done = (err, value) => {
    if (settled) return;
    settled = true;
    if (err) reply({ ok: false, error: toError(err), kind: "error" });
    else reply({ ok: true, value: value === undefined ? null : value });
  };
  try {
    const out = handler(event, context, done);
    if (out && typeof out.then === "function") out.then((v) => done(null, v), (e) => done(e || new Error("rejected")));
    else if (handler.length < 3) done(null, out);
  } catch (e) {
    done(e);
  }
});

// The stack owns this process's life: Ctrl-C in a terminal signals the whole process group,
// and the stack, not the instance, decides when to stop (it disconnects, then kills if needed).
process.on("SIGINT", () => {});
process.on("SIGTERM", () => {});
process.on("disconnect", () => process.exit(0));
