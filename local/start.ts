// `npm start` (after `npm run build`): the functions on one machine, wired from
// serverless.yml, against the local Batch emulator. Prints every URL, the local API key and a
// few curl lines, then one line containing `ready` (each function's URL and the emulator's) when
// every listener is up.
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { cronOffsetHours } from "./stack/cron";
import { ServerlessConfigError } from "./stack/serverless-config";
import { type Stack, startStack } from "./stack/stack";

/** What each function serves at its URL (its routes live in its code). */
const SERVES: Readonly<Record<string, string>> = {
  jobs: "POST/GET /jobs…, /openapi.json",
  envs: "/envs…, /openapi/envs.json",
  "node-abnormal": "POST /cmq/<token>: the topic's pushes",
  "cost-report": "GET /costs",
  autoscale: "POST /envs/{EnvId}/autoscale[?dryRun=true]; its timer every minute",
  "job-notify": "POST /cmq/<token>: the job-events topic's pushes",
};

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const print = (line: string) => process.stdout.write(`${line}\n`);

let stack: Stack;
try {
  stack = await startStack({ root, env: process.env, print });
} catch (e) {
  const msg = e instanceof ServerlessConfigError ? e.message : (e as Error).message;
  process.stderr.write(`npm start failed: ${msg}\n`);
  if ((e as NodeJS.ErrnoException).code === "EADDRINUSE") process.stderr.write("A port is taken: set PORT (the function URLs take PORT, PORT+1, …) / BATCH_EMULATOR_PORT (0 = any free port).\n");
  process.exit(1);
}

const urls = stack.functionUrls;
const api = stack.localApiUrl;
const key = stack.localKey?.key;
const auth = key ? `-H "Authorization: Bearer ${key}"` : `-H "Authorization: Bearer $API_KEY"`;
const width = Math.max(...Object.keys(urls).map((n) => n.length));
const lines = [
  "",
  "batch-scf local stack",
  "  function URLs (one per function, as SCF gives each its own host; every path reaches the function):",
  ...Object.entries(urls).map(([name, url]) => `    ${name.padEnd(width)}  ${url}  (${SERVES[name] ?? (stack.config.functions.find((f) => f.name === name)?.description || "its own routes")})`),
  "    Function URL events by default; header x-local-event-shape: apigw for the API Gateway shape",
  `  emulator   ${stack.emulator.url}   (Tencent Batch 2017-03-12; SecretId ${stack.emulatorSecretId}, the local pair, never a real key)`,
  `  data       ${stack.dataDir}   (state survives restarts; delete it to start fresh)`,
  `  functions  on Node ${[...new Set(Object.values(stack.functionNode()))].join(", ")}${process.env.LOCAL_FUNCTION_NODE ? " (LOCAL_FUNCTION_NODE)" : " (this Node; SCF runs Nodejs18.15: LOCAL_FUNCTION_NODE=$(bash scripts/fetch-scf-node.sh) to match it)"}`,
  `  task COS   ${stack.emulatorDataDir}/cos/<bucket-appid>/...`,
  key ? `  API key    ${key}   (name local, all scopes; kept in ${stack.dataDir}/api-key)` : "  API key    from API_KEYS",
  "",
  "  topics (pushed over HTTP to the subscriber's URL, POST /cmq/<token>):",
  ...[...stack.bus.topics()].map(([t, fns]) => `    ${t} → ${fns.join(", ")}`),
  `  timers (cron on UTC+${cronOffsetHours(process.env)}, as SCF reads it; times shown in UTC):`,
  ...stack.timers.list().map((t) => `    ${t.trigger.name} "${t.trigger.cronExpression}" → ${t.function}, next ${t.next?.toISOString() ?? "never"}`),
  `  stack API  ${api}/_local   (on every function URL)`,
  `  invoke:    POST ${api}/_local/functions/<name>/invoke   or   npm run invoke -- <name> [--event file.json]`,
  `  recent invocations: ${api}/_local/invocations`,
  ...(stack.demoEnvId ? [`  demo env   ${stack.demoEnvId} (local-demo, BS1.LARGE8 in ap-guangzhou-2, node events → node-abnormal)`] : []),
  "",
  "  try:",
  ...(urls.envs ? [`    curl -s ${auth} ${urls.envs}/envs`] : []),
  ...(urls.envs && stack.demoEnvId ? [`    curl -s ${auth} ${urls.envs}/envs/${stack.demoEnvId}`] : []),
  ...(urls.jobs
    ? [
        `    curl -s ${auth} -H 'content-type: application/json' -X POST ${urls.jobs}/jobs -d '{"Placement":{"Zone":"ap-guangzhou-2"},"Job":{"JobName":"hello","Tasks":[{"TaskName":"t1","Application":{"DeliveryForm":"LOCAL","Command":"echo hello from batch"},${stack.demoEnvId ? `"EnvId":"${stack.demoEnvId}"` : `"ComputeEnv":{"EnvType":"MANAGED","EnvData":{"InstanceType":"BS1.LARGE8","ImageId":"img-31tjrtph"}}`}}]}}'`,
        `    curl -s ${auth} ${urls.jobs}/jobs`,
      ]
    : []),
  `    curl -s -X POST ${api}/_local/functions/cost-report/invoke`,
  "    npm run demo",
  "",
];
for (const l of lines) print(l);
print(`ready: ${Object.entries(urls).map(([name, url]) => `${name} ${url}`).join(" ")} emulator ${stack.emulator.url}`);

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  print(`stack: ${signal}: shutting down`);
  stack.close().then(
    () => {
      print("stack: stopped");
      process.exit(0);
    },
    (e) => {
      process.stderr.write(`shutdown failed: ${(e as Error).message}\n`);
      process.exit(1);
    },
  );
};
process.on("SIGINT", () => stop("SIGINT"));
process.on("SIGTERM", () => stop("SIGTERM"));

void stack.watchDemoEnv();
