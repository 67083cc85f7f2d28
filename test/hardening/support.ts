// Shared by the hardening suites: an emulator-backed Batch port without the client-side rate
// limiter (the suites measure the functions, not Tencent's per-API quotas), and emulator routes.
import { createTencentBatch } from "../../shared/batch/tencent-adapter";
import type { Logger } from "../../shared/log";
import { TEST_SECRET_ID, TEST_SECRET_KEY, type TestEmulator } from "../support/emulator";

export function fastPort(t: TestEmulator, opts: { logger?: Logger; maxAttempts?: number; token?: string; secretKey?: string; endpoint?: string } = {}) {
  return createTencentBatch({
    region: "ap-guangzhou",
    endpoint: opts.endpoint ?? t.emu.url,
    credentials: () => ({ secretId: TEST_SECRET_ID, secretKey: opts.secretKey ?? TEST_SECRET_KEY, ...(opts.token ? { token: opts.token } : {}) }),
    retry: { baseMs: 5, capMs: 40, maxAttempts: opts.maxAttempts ?? 5 },
    limiter: { take: async () => {} },
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
}

/** Calls a test route of the emulator (`/_emulator/...`), throwing on a refusal. */
export async function emulatorRoute<T = Record<string, unknown>>(t: TestEmulator, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${t.emu.url}/_emulator${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const json = (await res.json()) as T;
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/**
 * A proxy in front of the emulator that loses answers: the request reaches Batch and takes
 * effect, then the connection is cut before the reply (the failure that tests idempotency).
 */
export async function startLossyProxy(target: string, opts: { dropRate: number; actions?: string[]; onRequest?: (headers: Record<string, unknown>, body: Buffer) => void }) {
  const { createServer, request } = await import("node:http");
  const upstream = new URL(target);
  const stats = { forwarded: 0, dropped: 0, droppedActions: new Map<string, number>() };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      opts.onRequest?.(req.headers, Buffer.concat(chunks));
      const action = String(req.headers["x-tc-action"] ?? "");
      const up = request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
        (upRes) => {
          const body: Buffer[] = [];
          upRes.on("data", (c: Buffer) => body.push(c));
          upRes.on("end", () => {
            stats.forwarded++;
            const eligible = !opts.actions || opts.actions.includes(action);
            if (eligible && Math.random() < opts.dropRate) {
              stats.dropped++;
              stats.droppedActions.set(action, (stats.droppedActions.get(action) ?? 0) + 1);
              req.socket.destroy();
              return;
            }
            res.writeHead(upRes.statusCode ?? 502, upRes.headers);
            res.end(Buffer.concat(body));
          });
        },
      );
      up.on("error", () => req.socket.destroy());
      up.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as import("node:net").AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
