// `npm run invoke -- <name> [--event file.json] [--trigger <trigger name>]`
// Invokes a function synchronously and prints what it returned. When a stack is running (its first
// function URL on PORT, default 3000, serves /_local/) the call goes through it; otherwise a one-off
// stack (free ports, no timers, no demo env) is started on LOCAL_DATA_DIR for the call and stopped
// after. Without --event, the function gets the default event of its (first, or named) trigger: a
// Timer event for cost-report and autoscale; for a topic's subscriber (node-abnormal, job-notify),
// the HTTP push of a sample message as the topic delivers it (a node event, or a job event on the
// job-events topic); a Function URL GET for jobs and envs (`--trigger url` for any function with a URL).
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startStack } from "./stack";

const USAGE = "usage: npm run invoke -- <function> [--event file.json|-] [--trigger <trigger name>]";

interface Args {
  name: string;
  eventFile?: string;
  trigger?: string;
}

function parseArgs(argv: string[]): Args {
  const rest = [...argv];
  const out: Partial<Args> = {};
  while (rest.length > 0) {
    const a = rest.shift()!;
    if (a === "--event" || a === "-e") out.eventFile = rest.shift();
    else if (a === "--trigger" || a === "-t") out.trigger = rest.shift();
    else if (a === "--help" || a === "-h") throw new Error(USAGE);
    else if (!a.startsWith("-") && !out.name) out.name = a;
    else throw new Error(`unexpected argument ${a}\n${USAGE}`);
  }
  if (!out.name) throw new Error(USAGE);
  if ("eventFile" in out && !out.eventFile) throw new Error(`--event needs a file (or - for stdin)\n${USAGE}`);
  return out as Args;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  let eventText: string | undefined;
  if (args.eventFile) eventText = readFileSync(args.eventFile === "-" ? 0 : args.eventFile, "utf8");
  if (eventText !== undefined) {
    try {
      JSON.parse(eventText);
    } catch (e) {
      throw new Error(`${args.eventFile} is not valid JSON: ${(e as Error).message}`);
    }
  }
  const port = process.env.PORT && process.env.PORT !== "0" ? process.env.PORT : "3000";
  const url = `http://127.0.0.1:${port}/_local/functions/${encodeURIComponent(args.name)}/invoke${args.trigger ? `?trigger=${encodeURIComponent(args.trigger)}` : ""}`;
  let res: Response | undefined;
  try {
    res = await fetch(url, { method: "POST", body: eventText ?? "", headers: { "content-type": "application/json" } });
  } catch {
    res = undefined; // no stack running there
  }
  if (res) {
    process.stderr.write(`invoked ${args.name} through the running stack on port ${port} (request ${res.headers.get("x-scf-request-id") ?? "-"}, ${res.headers.get("x-scf-duration-ms") ?? "?"} ms)\n`);
    process.stdout.write(await res.text());
    return res.ok ? 0 : 1;
  }

  process.stderr.write(`no stack on port ${port}: starting a one-off stack for this call\n`);
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
  const stack = await startStack({
    root,
    env: { ...process.env, BATCH_EMULATOR_PORT: "0" },
    port: 0,
    demoEnv: false,
    timers: false,
    print: (line) => process.stderr.write(`${line}\n`),
  });
  try {
    const out = await stack.invoke(args.name, eventText === undefined ? undefined : JSON.parse(eventText), args.trigger ? { trigger: args.trigger } : {});
    process.stderr.write(`invoked ${args.name} (request ${out.requestId}, ${out.durationMs} ms)\n`);
    process.stdout.write(`${JSON.stringify(out.ok ? out.value : { errorType: out.error.errorType, errorMessage: out.error.errorMessage, kind: out.kind }, null, 2)}\n`);
    return out.ok ? 0 : 1;
  } finally {
    await stack.close();
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(2);
  },
);
