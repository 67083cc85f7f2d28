// The local stack: the Batch emulator (its own process), one process pool per function (the built bundles),
// one local Function URL per function that has one, the topic bus and the timers, all wired from serverless.yml.
import { existsSync, mkdirSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { isTimerEvent } from "../../shared/triggers/timer";
import { createTencentBatch } from "../../shared/batch/tencent-adapter";
import { emulatorOptionsFromEnv } from "../emulator/options";
import { type EmulatorProcess, startEmulatorProcess } from "../emulator/process";
import { ensureDemoEnv, nodeProgress } from "./demo-env";
import { cmqEvent, cmqPushBody, functionUrlEvent, type HttpEventShape, LOCAL_APPID, randomDigits, sampleJobEventBody, sampleNodeEventBody, timerEvent } from "./events";
import { FunctionPool, type InvokeOutcome } from "./function-pool";
import { createFunctionUrlServer, sendJson } from "./gateway";
import { type InvocationSource, Invoker } from "./invoker";
import { ensureLocalApiKey, ensureLocalSigningKey, type LocalKey } from "./local-state";
import { type FunctionConfig, loadServerlessConfig, type StackConfig, type Trigger } from "./serverless-config";
import { cronOffsetHours } from "./cron";
import { startTimers } from "./timers";
import { createTopicBus, pushTokenFrom, type TopicBus } from "./topic-bus";

export interface StackOptions {
  /** Repository root (where serverless.yml and dist/ live). */
  root: string;
  env: NodeJS.ProcessEnv;
  /** Human-readable lines (the stack's own messages and the functions' output). */
  print(line: string): void;
  /** Port of the first function URL (the next ones take port+1, …); 0 = free ports. Default PORT or 3000. */
  port?: number;
  /** Skip the demo env (the invoke CLI's one-off stack). */
  demoEnv?: boolean;
  timers?: boolean;
}

export interface Stack {
  config: StackConfig;
  /**
   * Function name → its local Function URL (`http://127.0.0.1:<port>`), for every function with a
   * URL, in serverless.yml order. Each listener also serves the stack's own API under /_local/.
   */
  functionUrls: Record<string, string>;
  /** Where the stack's own API is printed: the first function URL (any of them serves /_local/). */
  localApiUrl: string;
  /** The emulator, in a process of its own. */
  emulator: EmulatorProcess;
  emulatorDataDir: string;
  /** The SecretId the emulator accepts (the functions get the pair). */
  emulatorSecretId: string;
  dataDir: string;
  /** The generated local key, when API_KEYS was not given. */
  localKey: LocalKey | undefined;
  demoEnvId: string | undefined;
  bus: TopicBus;
  timers: ReturnType<typeof startTimers>;
  invoker: Invoker;
  /** Invokes synchronously, with `event` or the default event of the function's trigger. */
  invoke(fn: string, event?: unknown, opts?: { trigger?: string }): Promise<InvokeOutcome>;
  defaultEvent(fn: string, triggerName?: string): unknown;
  /** Follows the demo env's nodes until they all run (prints progress). */
  watchDemoEnv(): Promise<void>;
  /** The Node version each function's instances run on (LOCAL_FUNCTION_NODE), once loaded. */
  functionNode(): Record<string, string | null>;
  close(): Promise<void>;
}

export class StackError extends Error {}

/** What `invoke` sends a URL-only function by default: a Function URL GET of its main collection. */
const DEFAULT_HTTP_PATHS: Readonly<Record<string, string>> = { jobs: "/jobs", envs: "/envs", "cost-report": "/costs" };

/**
 * Values the stack uses for serverless.yml's `${env:…}` when the environment does not set them,
 * where production's defaults make no sense locally: emulated nodes boot in about 1.5 s, so
 * node-abnormal's 600 s startup grace would leave every local node alone for ten minutes.
 */
export const LOCAL_DEFAULTS: Readonly<Record<string, string>> = {
  REMEDIATION_GRACE_SECONDS: "10",
  // Job notifications may go to plain-http receivers on 127.0.0.1 (the demo's, the tests').
  WEBHOOK_ALLOW_LOOPBACK_HTTP: "true",
  // Envs named demo-autoscale-* autoscale from 0 to 4 nodes with a 20 s idle window (production's
  // default is 600 s), so the demo's env grows and shrinks back to 0 within a minute or two.
  ENV_POLICY: JSON.stringify({ envs: [{ envName: "demo-autoscale-*", autoscale: { minNodes: 0, maxNodes: 4, scaleDownAfterSeconds: 20 } }] }),
};

export async function startStack(opts: StackOptions): Promise<Stack> {
  const env = opts.env;
  const print = opts.print;
  // The Node the function instances run on: by default this one; LOCAL_FUNCTION_NODE names
  // another binary, e.g. SCF's Node 18.15 (`bash scripts/fetch-scf-node.sh` prints its path).
  const nodeBin = env.LOCAL_FUNCTION_NODE || undefined;
  if (nodeBin && !existsSync(nodeBin)) throw new StackError(`LOCAL_FUNCTION_NODE: ${nodeBin} does not exist (scripts/fetch-scf-node.sh fetches SCF's Node 18.15)`);
  const dataDir = resolve(opts.root, env.LOCAL_DATA_DIR || ".local");
  mkdirSync(dataDir, { recursive: true });
  const localKey = env.API_KEYS ? undefined : ensureLocalApiKey(dataDir);
  const config = loadServerlessConfig(join(opts.root, "serverless.yml"), {
    ...LOCAL_DEFAULTS,
    ...env,
    API_KEYS: env.API_KEYS || localKey?.apiKeys,
    // Job notifications are signed under a local master key unless one is given.
    WEBHOOK_SIGNING_KEYS: env.WEBHOOK_SIGNING_KEYS || ensureLocalSigningKey(dataDir),
  });
  for (const fn of config.functions) {
    if (!existsSync(fn.entryFile)) throw new StackError(`${fn.name}: ${fn.entryFile} does not exist; run \`npm run build\` first (npm start does)`);
  }

  // The emulator: its own folder under the data dir; task output for cos:// lands in <emulatorDataDir>/cos.
  const emuOpts = emulatorOptionsFromEnv({ ...env, TENCENTCLOUD_REGION: env.TENCENTCLOUD_REGION || config.region });
  const emulatorDataDir = join(dataDir, "emulator-data");
  const region = emuOpts.region ?? config.region;
  const cred = emuOpts.credentials[0]!;
  let bus: TopicBus | undefined;
  const emulator = await startEmulatorProcess({
    root: opts.root,
    env: { ...env, LOCAL_DATA_DIR: emulatorDataDir, TENCENTCLOUD_REGION: region },
    publish: (t, m) => bus?.publish(t, m),
    output: (line) => print(`emulator: ${line}`),
  });

  // The secret path segment of the topic's pushes (node-abnormal checks it as CMQ_PUSH_TOKEN).
  const pushToken = pushTokenFrom(env);
  const pools = new Map<string, FunctionPool>();
  const maxInstances = Number(env.LOCAL_MAX_INSTANCES || 4);
  for (const fn of config.functions) {
    pools.set(
      fn.name,
      new FunctionPool(fn, {
        env: functionEnv(fn, { region, emulatorUrl: emulator.url, cred, cosDir: join(emulatorDataDir, "cos"), parent: env, cmqPushToken: pushToken, deadLetterFile: join(dataDir, "dead-letter.jsonl") }),
        region,
        appId: String(LOCAL_APPID),
        uin: "100000000001",
        maxInstances: Number.isInteger(maxInstances) && maxInstances > 0 ? maxInstances : 4,
        ...(nodeBin ? { nodeBin } : {}),
        output: (line) => print(`[${fn.name}] ${line}`),
        note: (line) => print(`stack: ${line}`),
      }),
    );
  }
  const invoker = new Invoker(pools, {
    retries: 2,
    retryBaseMs: Number(env.LOCAL_RETRY_BASE_MS || 1000),
    deadLetterFile: join(dataDir, "dead-letter.jsonl"),
    log: (line) => print(`stack: ${line}`),
  });
  const functionUrls: Record<string, string> = {};
  bus = createTopicBus(config.functions, { invoker, urlOf: (fn) => functionUrls[fn], token: pushToken, log: (line) => print(`stack: ${line}`) });
  const closers: Array<() => Promise<void>> = [];
  let timers: ReturnType<typeof startTimers> | undefined;
  let demoEnvId: string | undefined;
  const port = createTencentBatch({ region, endpoint: emulator.url, credentials: () => cred, retry: { maxAttempts: 3, baseMs: 100, capMs: 500 } });

  const fnByName = (name: string): FunctionConfig | undefined => config.functions.find((f) => f.name === name);
  const defaultEvent = (name: string, triggerName?: string): unknown => {
    const fn = fnByName(name);
    if (!fn) throw new StackError(`no function ${name}`);
    if (triggerName === "url" || (!triggerName && fn.triggers.length === 0 && fn.url)) return httpDefaultEvent(fn);
    const trigger: Trigger | undefined = triggerName ? fn.triggers.find((t) => t.name === triggerName) : fn.triggers[0];
    if (!trigger) throw new StackError(triggerName ? `${name} has no trigger ${triggerName}${fn.url ? " (url: its Function URL)" : ""}` : `${name} has no trigger; send an event`);
    if (trigger.kind === "timer") return timerEvent({ triggerName: trigger.name, message: trigger.message, time: new Date() });
    if (trigger.kind === "cmq") {
      // A message of the kind the topic carries: job events on the topic the jobs function subscribes
      // jobs to (JOB_EVENTS_TOPIC), node events otherwise.
      const jobEvents = config.functions.some((f) => f.environment.JOB_EVENTS_TOPIC === trigger.topic);
      const msgBody = jobEvents
        ? sampleJobEventBody({ jobId: "job-00000000", region })
        : sampleNodeEventBody({ envId: demoEnvId ?? "env-00000000", nodeId: "node-00000000", region });
      if (!fn.url) return cmqEvent({ topic: trigger.topic, subscription: fn.name, msgBody });
      // As the topic delivers it (topic-bus.ts): an HTTP push of the message to <url>/cmq/<token>.
      const body = Buffer.from(JSON.stringify(cmqPushBody({ topic: trigger.topic, subscription: fn.name, msgBody, msgId: randomDigits(18) })));
      const headers = { "content-type": "text/plain", host: "127.0.0.1", "user-agent": "batch-scf-local-invoke" };
      return functionUrlEvent({ method: "POST", path: `/cmq/${pushToken}`, rawQuery: "", headers, body, sourceIp: "127.0.0.1", requestId: "local-invoke" });
    }
    return httpDefaultEvent(fn);
  };
  /** A Function URL GET of the function's main collection, carrying the local key. */
  const httpDefaultEvent = (fn: FunctionConfig): unknown => {
    const headers: Record<string, string> = { accept: "application/json", host: "127.0.0.1", "user-agent": "batch-scf-local-invoke" };
    if (localKey) headers.authorization = `Bearer ${localKey.key}`;
    return functionUrlEvent({ method: "GET", path: DEFAULT_HTTP_PATHS[fn.name] ?? "/", rawQuery: "", headers, body: Buffer.alloc(0), sourceIp: "127.0.0.1", requestId: "local-invoke" });
  };
  const invoke = async (name: string, event?: unknown, o: { trigger?: string } = {}): Promise<InvokeOutcome> => {
    const fn = fnByName(name);
    if (!fn) throw new StackError(`no function ${name}; functions: ${config.functions.map((f) => f.name).join(", ")}`);
    const ev = event ?? defaultEvent(name, o.trigger);
    const source: InvocationSource = isTimerEvent(ev) ? "timer" : "invoke";
    return invoker.sync(name, ev, { source, trigger: o.trigger ?? "invoke" });
  };

  const stopAll = async () => {
    timers?.stop();
    await invoker.close(3000);
    for (const c of closers.reverse()) await c().catch(() => {});
    await Promise.all([...pools.values()].map((p) => p.close()));
    await emulator.close();
  };

  try {
    await Promise.all([...pools.values()].map((p) => p.warm()));
    const shape: HttpEventShape = env.LOCAL_HTTP_EVENT === "apigw" ? "apigw" : "function-url";
    const basePort = opts.port ?? Number(env.PORT ?? 3000);
    for (const [i, fn] of config.functions.filter((f) => f.url).entries()) {
      const server = createFunctionUrlServer({ fn, invoker, defaultShape: shape, log: (line) => print(`stack: ${line}`), local: (req, res, url, body) => localApi(req, res, url, body) });
      closers.push(
        () =>
          new Promise<void>((r) => {
            server.close(() => r());
            server.closeAllConnections();
          }),
      );
      await new Promise<void>((ok, fail) => {
        server.once("error", fail);
        server.listen(basePort === 0 ? 0 : basePort + i, "127.0.0.1", () => ok());
      });
      functionUrls[fn.name] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    }
    if (Object.keys(functionUrls).length === 0) throw new StackError("no function has a URL (url: true): the stack would have no listener for its own API");
    if (opts.timers !== false) timers = startTimers(config.functions, invoker, undefined, cronOffsetHours(env));
    if (opts.demoEnv !== false) {
      const topic = config.functions.find((f) => f.name === "node-abnormal")?.triggers.find((t) => t.kind === "cmq") ?? config.functions.flatMap((f) => f.triggers).find((t) => t.kind === "cmq");
      const nodes = Number(env.DEMO_ENV_NODES || 2);
      demoEnvId = (await ensureDemoEnv({ port, dataDir, topic: topic?.kind === "cmq" ? topic.topic : undefined, nodes: Number.isInteger(nodes) && nodes >= 0 ? nodes : 2 })).envId;
    }
  } catch (e) {
    await stopAll();
    throw e;
  }

  const localApiUrl = Object.values(functionUrls)[0]!;
  const timerHandle = timers ?? { list: () => [], stop: () => {} };

  function functionNode(): Record<string, string | null> {
    return Object.fromEntries([...pools].map(([name, p]) => [name, p.nodeVersion ?? null]));
  }

  async function localApi(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): Promise<void> {
    const parts = url.pathname.split("/").filter(Boolean).slice(1);
    const method = req.method ?? "GET";
    if (parts.length === 0 && method === "GET") {
      return sendJson(res, 200, {
        functionUrls,
        emulator: emulator.url,
        topics: Object.fromEntries(bus?.topics() ?? []),
        timers: timerHandle.list().map((t) => ({ function: t.function, trigger: t.trigger.name, cron: t.trigger.cronExpression, next: t.next?.toISOString() })),
        demoEnvId,
        functionNode: functionNode(),
      });
    }
    if (parts[0] === "health" && method === "GET") return sendJson(res, 200, { ok: true });
    if (parts[0] === "invocations" && method === "GET") {
      return sendJson(res, 200, invoker.records({ function: url.searchParams.get("function") ?? undefined, source: url.searchParams.get("source") ?? undefined }));
    }
    if (parts[0] === "topics" && parts[1] && parts[2] === "publish" && method === "POST") {
      bus?.publish(decodeURIComponent(parts[1]), body.toString("utf8"));
      return sendJson(res, 202, { published: true, subscribers: bus?.subscribers(decodeURIComponent(parts[1])) ?? [] });
    }
    if (parts[0] === "functions" && parts.length === 1 && method === "GET") {
      return sendJson(res, 200, config.functions.map((f) => ({ name: f.name, scfName: f.scfName, handler: f.handler, timeout: f.timeout, memorySize: f.memorySize, url: functionUrls[f.name] ?? null, triggers: f.triggers.map((t) => (t.kind === "timer" ? { ...t, cron: undefined } : t)) })));
    }
    if (parts[0] === "functions" && parts[1] && parts[2] === "invoke" && parts.length === 3 && method === "POST") {
      const name = decodeURIComponent(parts[1]);
      if (!fnByName(name)) return sendJson(res, 404, { message: `no function ${name}; functions: ${config.functions.map((f) => f.name).join(", ")}` });
      let event: unknown;
      if (body.length > 0) {
        try {
          event = JSON.parse(body.toString("utf8"));
        } catch (e) {
          return sendJson(res, 400, { message: `the event is not valid JSON: ${(e as Error).message}` });
        }
      }
      let out: InvokeOutcome;
      try {
        out = await invoke(name, event, { ...(url.searchParams.get("trigger") ? { trigger: url.searchParams.get("trigger")! } : {}) });
      } catch (e) {
        return sendJson(res, 400, { message: (e as Error).message });
      }
      const headers = { "x-scf-request-id": out.requestId, "x-scf-duration-ms": String(out.durationMs) };
      if (out.ok) return sendJson(res, 200, out.value, headers);
      return sendJson(res, out.kind === "timeout" ? 504 : 502, { errorType: out.error.errorType, errorMessage: out.error.errorMessage, kind: out.kind, requestId: out.requestId }, headers);
    }
    sendJson(res, 404, { message: `no local route ${method} ${url.pathname}; see GET /_local` });
  }

  let closed: Promise<void> | undefined;
  return {
    config,
    functionUrls,
    localApiUrl,
    emulator,
    emulatorDataDir,
    emulatorSecretId: cred.secretId,
    functionNode,
    dataDir,
    localKey,
    demoEnvId,
    bus,
    timers: timerHandle,
    invoker,
    invoke,
    defaultEvent,
    async watchDemoEnv() {
      if (!demoEnvId) return;
      let last = "";
      const deadline = Date.now() + 120_000;
      while (!closed && Date.now() < deadline) {
        const p = await nodeProgress(port, demoEnvId).catch(() => undefined);
        if (p) {
          const states = Object.entries(p.byState)
            .map(([s, n]) => `${n} ${s}`)
            .join(", ");
          const line = `demo env ${demoEnvId}: ${p.running}/${p.desired} nodes running${states ? ` (${states})` : ""}`;
          if (line !== last) print(line);
          last = line;
          if (p.running >= p.desired) return;
        }
        await new Promise((r) => setTimeout(r, 300));
      }
    },
    close() {
      closed ??= stopAll();
      return closed;
    },
  };
}


/** The environment SCF would give the function, pointed at the local emulator. */
export function functionEnv(
  fn: FunctionConfig,
  o: { region: string; emulatorUrl: string; cred: { secretId: string; secretKey: string }; cosDir: string; parent: NodeJS.ProcessEnv; cmqPushToken?: string; deadLetterFile?: string },
): Record<string, string> {
  const out: Record<string, string> = {};
  // Just enough of the host for a Node process to run; nothing else leaks in.
  for (const k of ["PATH", "HOME", "TMPDIR", "LANG", "SYSTEMROOT"]) {
    const v = o.parent[k];
    if (v) out[k] = v;
  }
  // An empty value means "not configured" (`${env:X, ''}`): the variable is left unset.
  for (const [k, v] of Object.entries(fn.environment)) if (v !== "") out[k] = v;
  Object.assign(out, {
    SCF_FUNCTIONNAME: fn.scfName,
    SCF_NAMESPACE: "default",
    SCF_FUNCTIONVERSION: "$LATEST",
    TENCENTCLOUD_RUNENV: "SCF",
    TENCENTCLOUD_REGION: o.region,
    TENCENTCLOUD_APPID: String(LOCAL_APPID),
    TENCENTCLOUD_UIN: "100000000001",
    TENCENTCLOUD_SECRETID: o.cred.secretId,
    TENCENTCLOUD_SECRETKEY: o.cred.secretKey,
    USER_CODE_ROOT: fn.entryFile.replace(/[^/]+$/, ""),
    BATCH_ENDPOINT: o.emulatorUrl,
    LOCAL_COS_DIR: o.cosDir,
  });
  // Where a function keeps its own dead letters (job-notify's undelivered webhooks): the stack's file.
  if (o.deadLetterFile) out.LOCAL_DEAD_LETTER_FILE = o.deadLetterFile;
  // A topic subscriber checks the pushes' path token (deployed: set by the deploy).
  if (o.cmqPushToken && fn.triggers.some((t) => t.kind === "cmq")) out.CMQ_PUSH_TOKEN = o.cmqPushToken;
  return out;
}
