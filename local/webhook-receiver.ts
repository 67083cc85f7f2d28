// A webhook receiver for the demo and the tests: an HTTP server on 127.0.0.1 (a free port) that
// keeps what it is sent and answers as told (200 by default; a test makes it answer 503 with
// Retry-After, or close the listener for a while). `verifyStandardWebhook` is what a receiving app
// writes from the README, independent of the project's own signing code: the Standard Webhooks
// check (github.com/standard-webhooks/standard-webhooks, spec/standard-webhooks.md), in node:crypto.
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedWebhook {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
}

export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>` (append any path). */
  url: string;
  port: number;
  received: ReceivedWebhook[];
  /** Resolves with the first request (already received or to come) that `match` accepts. */
  next(match?: (r: ReceivedWebhook) => boolean, timeoutMs?: number): Promise<ReceivedWebhook>;
  /** Stops listening (the port refuses connections) until `reopen`. */
  pause(): Promise<void>;
  reopen(): Promise<void>;
  close(): Promise<void>;
}

/** `answer(request, n)`: n counts requests from 1. Default 200. */
export async function startWebhookReceiver(answer: (r: ReceivedWebhook, n: number) => Answer = () => ({ status: 200 }), port = 0): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const waiters: Array<{ match: (r: ReceivedWebhook) => boolean; resolve: (r: ReceivedWebhook) => void }> = [];
  const handler = (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
      const r: ReceivedWebhook = { method: req.method ?? "", path: req.url ?? "", headers, body: Buffer.concat(chunks).toString("utf8") };
      received.push(r);
      const a = answer(r, received.length);
      res.writeHead(a.status, { "content-type": "text/plain", ...a.headers });
      res.end(a.status < 300 ? "ok" : "not now");
      for (const w of [...waiters]) {
        if (w.match(r)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(r);
        }
      }
    });
  };
  let server: Server = createServer(handler);
  const listen = (p: number) =>
    new Promise<number>((ok, fail) => {
      server.once("error", fail);
      server.listen(p, "127.0.0.1", () => ok((server.address() as AddressInfo).port));
    });
  const stop = () =>
    new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  const bound = await listen(port);
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    received,
    next(match = () => true, timeoutMs = 30_000) {
      const have = received.find(match);
      if (have) return Promise.resolve(have);
      return new Promise((resolve, reject) => {
        const w = {
          match,
          resolve: (r: ReceivedWebhook) => {
            clearTimeout(t);
            resolve(r);
          },
        };
        const t = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`no matching webhook within ${timeoutMs / 1000} s (${received.length} received)`));
        }, timeoutMs);
        waiters.push(w);
      });
    },
    pause: stop,
    async reopen() {
      server = createServer(handler);
      await listen(bound);
    },
    close: stop,
  };
}

export type Verification = { ok: true; matched: number; of: number } | { ok: false; reason: string };

/**
 * The receiver's check, as the README documents it: the key is the secret after `whsec_`,
 * base64-decoded; the signed content is `<webhook-id>.<webhook-timestamp>.<body>`; the header
 * lists `v1,<base64 HMAC-SHA256>` signatures, space-separated; one must match (constant time), and
 * the timestamp must be within 5 minutes of now (replays of old deliveries are refused).
 */
export function verifyStandardWebhook(secret: string, headers: Record<string, string>, body: string, nowSeconds = Math.floor(Date.now() / 1000)): Verification {
  const id = headers["webhook-id"];
  const timestamp = headers["webhook-timestamp"];
  const signatures = headers["webhook-signature"];
  if (!id || !timestamp || !signatures) return { ok: false, reason: "missing webhook-id, webhook-timestamp or webhook-signature" };
  if (Math.abs(nowSeconds - Number(timestamp)) > 300) return { ok: false, reason: "timestamp more than 5 minutes off" };
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest();
  const list = signatures.split(" ");
  const matched = list.findIndex((s) => {
    const [version, sig] = s.split(",");
    const got = Buffer.from(sig ?? "", "base64");
    return version === "v1" && got.length === expected.length && timingSafeEqual(got, expected);
  });
  return matched >= 0 ? { ok: true, matched: matched + 1, of: list.length } : { ok: false, reason: "no signature matches" };
}
