// The emulator's HTTP server: Batch 2017-03-12, SCF 2018-04-16 and TDMQ 2020-02-17 (see
// ./services), exactly as the SDK sends them (POST JSON, X-TC-* headers, TC3-HMAC-SHA256),
// plus a test-and-demo API under /_emulator/.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ApiError, createIds, DEFAULT_TIMINGS, type EmuContext, type EmulatorModule, type EmulatorTimings, makeNotifier, type Publish, type TestRoute } from "./context";
import { createFaults, type FaultSpec } from "./faults";
import { type ApiService, MAX_BODY_BYTES, SERVED_REGIONS, SERVICES } from "./services";
import { type EmulatorState, KEYED_STATE_FIELDS } from "./state";
import { Store } from "./store";
import { verifyTc3 } from "./tc3";
import { readBody } from "../http/read-body";

export { MAX_BODY_BYTES } from "./services";

export interface EmulatorOptions {
  host?: string;
  port?: number;
  /** Where state (SQLite) and the local COS/CFS folders live. Undefined: memory only, output under a temp dir. */
  dataDir?: string;
  credentials: Array<{ secretId: string; secretKey: string }>;
  region?: string;
  timings?: Partial<EmulatorTimings>;
  exec?: boolean;
  publish?: Publish;
  now?: () => number;
  /** Skip signature checks (benchmarks of the bare protocol only). */
  skipAuth?: boolean;
}

export interface Emulator {
  url: string;
  port: number;
  server: Server;
  store: Store;
  ctx: EmuContext;
  counters: Map<string, number>;
  faults: ReturnType<typeof createFaults>;
  /** Replace the publisher (the local stack wires its topic bus in after start). */
  setPublisher(p: Publish): void;
  close(): Promise<void>;
}

const MODULES: EmulatorModule[] = SERVICES.flatMap((s) => s.modules);
type Action = EmulatorModule["actions"][string];

export async function startEmulator(opts: EmulatorOptions): Promise<Emulator> {
  const now = opts.now ?? (() => Date.now());
  const store = new Store(opts.dataDir ? `${opts.dataDir}/emulator` : undefined);
  let publish: Publish = opts.publish ?? (() => {});
  const secrets = new Map(opts.credentials.map((c) => [c.secretId, c.secretKey]));
  const defaultRegion = opts.region ?? "ap-guangzhou";
  const servedRegions = new Set([...SERVED_REGIONS, defaultRegion]);
  const timings = { ...DEFAULT_TIMINGS, ...opts.timings };
  const base: Omit<EmuContext, "region"> = {
    store,
    now,
    timings,
    dataDir: opts.dataDir ?? `${process.env.TMPDIR ?? "/tmp"}/batch-emulator-${process.pid}`,
    exec: opts.exec ?? true,
    ids: createIds(),
    notify: makeNotifier((t, m) => publish(t, m), now),
  };
  const ctxFor = (region: string): EmuContext => ({ ...base, region });
  const tickCtx = ctxFor(defaultRegion);
  const counters = new Map<string, number>();
  const faults = createFaults();
  /** Actions by API version, then by name. */
  const actions = new Map<string, { api: ApiService; byName: Map<string, Action> }>();
  for (const api of SERVICES) actions.set(api.version, { api, byName: new Map(api.modules.flatMap((m) => Object.entries(m.actions))) });
  const routes: TestRoute[] = [...coreRoutes(store, counters, faults), ...MODULES.flatMap((m) => m.testRoutes ?? [])];

  for (const m of MODULES) m.recover?.(tickCtx);
  store.flush();

  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) send(res, 500, { Response: { Error: { Code: "InternalError", Message: String(e) }, RequestId: randomUUID() } });
    });
  });
  server.keepAliveTimeout = 5000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? "/";
    if (url.startsWith("/_emulator/") || url === "/_emulator") return handleTest(req, res, url);
    const requestId = randomUUID();
    const fail = (code: string, message: string) => send(res, 200, { Response: { Error: { Code: code, Message: message }, RequestId: requestId } });
    const h = lowerHeaders(req);
    const version = actions.get(h["x-tc-version"] ?? "");
    const maxBody = version?.api.maxBodyBytes ?? MAX_BODY_BYTES;
    let body: Buffer;
    try {
      body = await readBody(req, maxBody);
    } catch {
      // Answered once the client has sent the rest (read and dropped): an answer sent while it is
      // still writing ends the connection under it when it asked for `Connection: close` (Node
      // closes after the answer), and it sees a broken pipe instead of the error.
      await bodyEnd(req);
      return fail("RequestSizeLimitExceeded", `The request body exceeds ${maxBody} bytes.`);
    }
    if (req.method !== "POST") return fail("UnsupportedProtocol", "Only POST with a JSON body is supported.");
    const action = h["x-tc-action"];
    if (!action) return fail("MissingParameter", "The request is missing X-TC-Action.");
    counters.set(action, (counters.get(action) ?? 0) + 1);
    if (!version) return fail("NoSuchVersion", `The API version ${h["x-tc-version"] ?? "(none)"} does not exist; use one of ${[...actions.keys()].join(", ")}.`);
    if (!opts.skipAuth) {
      const auth = verifyTc3({ authorization: h.authorization, headers: h, body, now: Math.floor(now() / 1000), service: version.api.service }, (id) => secrets.get(id));
      if (!auth.ok) return fail(auth.code, auth.message);
    }
    const handler = version.byName.get(action);
    if (!handler) return fail("InvalidAction", `The action ${action} does not exist in ${version.api.service} ${version.api.version}.`);
    const region = h["x-tc-region"] || (version.api.regionRequired ? undefined : defaultRegion);
    if (!region) return fail("MissingParameter", "The request is missing X-TC-Region.");
    if (!servedRegions.has(region)) return fail("UnsupportedRegion", `The region ${JSON.stringify(region.slice(0, 64))} is not supported by ${version.api.service}.`);
    let params: unknown;
    try {
      params = body.length ? JSON.parse(body.toString("utf8")) : {};
    } catch {
      return fail("InvalidParameter", "The request body is not valid JSON.");
    }
    if (!params || typeof params !== "object" || Array.isArray(params)) return fail("InvalidParameter", "The request body must be a JSON object.");
    const fault = faults.pick(action);
    if (fault?.latencyMs) await new Promise((r) => setTimeout(r, fault.latencyMs));
    if (fault?.code) return fail(fault.code, fault.message ?? `Injected fault ${fault.code}.`);
    try {
      const out = handler(ctxFor(region), params as Record<string, unknown>);
      store.flush();
      send(res, 200, { Response: { ...out, RequestId: requestId } });
    } catch (e) {
      store.flush();
      if (e instanceof ApiError) return fail(e.code, e.message);
      return fail("InternalError", `Internal error: ${(e as Error).message}`);
    }
  }

  async function handleTest(req: IncomingMessage, res: ServerResponse, url: string): Promise<void> {
    const path = url.split("?")[0]!.slice("/_emulator".length) || "/";
    let body: unknown;
    try {
      const raw = await readBody(req, MAX_BODY_BYTES * 10);
      body = raw.length ? JSON.parse(raw.toString("utf8")) : undefined;
    } catch (e) {
      return send(res, 400, { error: `bad body: ${(e as Error).message}` });
    }
    for (const r of routes) {
      if (r.method !== req.method) continue;
      const params = matchPath(r.path, path);
      if (!params) continue;
      try {
        const out = r.handle(tickCtx, params, body);
        store.flush();
        return send(res, 200, out ?? { ok: true });
      } catch (e) {
        store.flush();
        const status = e instanceof ApiError ? (e.code.startsWith("ResourceNotFound") ? 404 : 400) : 500;
        return send(res, status, { error: (e as Error).message, code: e instanceof ApiError ? e.code : undefined });
      }
    }
    send(res, 404, { error: `no emulator route ${req.method} ${path}` });
  }

  const timer = setInterval(() => {
    for (const m of MODULES) {
      try {
        m.tick?.(tickCtx);
      } catch (e) {
        process.stderr.write(`emulator tick failed: ${(e as Error).stack}\n`);
      }
    }
    store.flush();
  }, timings.tickMs);
  timer.unref();

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${opts.host ?? "127.0.0.1"}:${port}`,
    port,
    server,
    store,
    ctx: tickCtx,
    counters,
    faults,
    setPublisher(p) {
      publish = p;
    },
    async close() {
      clearInterval(timer);
      for (const m of MODULES) m.close?.(tickCtx);
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      store.close();
    },
  };
}

function coreRoutes(store: Store, counters: Map<string, number>, faults: ReturnType<typeof createFaults>): TestRoute[] {
  return [
    { method: "GET", path: "/health", handle: () => ({ ok: true }) },
    { method: "GET", path: "/state", handle: () => store.exportState() },
    {
      method: "PUT",
      path: "/state",
      handle: (_ctx, _p, body) => {
        const s = body as EmulatorState;
        if (s?.version !== 1 || !Array.isArray(s.envs) || !Array.isArray(s.jobs)) throw new ApiError("InvalidParameter", "state must be {version:1, envs, jobs, activities, tokens}");
        const keyed = Object.values(KEYED_STATE_FIELDS).filter((f) => s[f] !== undefined && !Array.isArray(s[f]));
        if (keyed.length) throw new ApiError("InvalidParameter", `state fields ${keyed.join(", ")} must be arrays when present`);
        store.importState({ ...s, activities: s.activities ?? [], tokens: s.tokens ?? [] });
        return { ok: true };
      },
    },
    { method: "GET", path: "/counters", handle: () => Object.fromEntries(counters) },
    {
      method: "DELETE",
      path: "/counters",
      handle: () => {
        counters.clear();
        return { ok: true };
      },
    },
    { method: "GET", path: "/faults", handle: () => faults.list() },
    { method: "POST", path: "/faults", handle: (_c, _p, body) => faults.add(body as FaultSpec) },
    {
      method: "DELETE",
      path: "/faults",
      handle: () => {
        faults.clear();
        return { ok: true };
      },
    },
  ];
}

function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const a = pattern.split("/").filter(Boolean);
  const b = path.split("/").filter(Boolean);
  if (a.length !== b.length) return undefined;
  const out: Record<string, string> = {};
  for (let i = 0; i < a.length; i++) {
    const seg = a[i]!;
    if (seg.startsWith(":")) out[seg.slice(1)] = decodeURIComponent(b[i]!);
    else if (seg !== b[i]) return undefined;
  }
  return out;
}

/** Once the request's body has been read to its end (readBody keeps it flowing), or after `ms` for a client that stalls. */
function bodyEnd(req: IncomingMessage, ms = 30_000): Promise<void> {
  if (req.complete || req.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(done, ms);
    req.once("end", done);
    req.once("close", done);
    req.once("error", done);
    req.resume();
  });
}

function lowerHeaders(req: IncomingMessage): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) out[k.toLowerCase()] = Array.isArray(v) ? v.join(",") : v;
  return out;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
