// One webhook POST over node:http(s) directly (no fetch: see the README's Bundles section), to the
// address the destination check resolved (./deliver.ts): the socket goes to that address, never
// to a second lookup of the host (DNS rebinding), while TLS still checks the certificate against
// the URL's host name (SNI `servername`) and the Host header names it. Short timeouts (connect;
// the whole answer), at most `maxBytes` of the answer read (then the socket is dropped: only the
// status and Retry-After matter), redirects never followed (http.request does not follow them).
// Errors say what failed and where (origin only: a webhook URL's path may carry a credential).
import { type ClientRequest, type IncomingMessage, request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { SendResult } from "../../shared/webhooks/retry";

export interface PostTarget {
  url: URL;
  /** The checked address to connect to. */
  address: string;
}

export interface PostLimits {
  connectTimeoutMs: number;
  /** From the start of the attempt to the end of the (capped) answer. */
  totalTimeoutMs: number;
  maxBytes: number;
}

export const DEFAULT_POST_LIMITS: PostLimits = { connectTimeoutMs: 2000, totalTimeoutMs: 4000, maxBytes: 16 * 1024 };

export type PostFn = (target: PostTarget, headers: Record<string, string>, body: string, limits?: PostLimits) => Promise<SendResult>;

export const postWebhook: PostFn = (target, headers, body, limits = DEFAULT_POST_LIMITS) => {
  const { url, address } = target;
  const https = url.protocol === "https:";
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const data = Buffer.from(body, "utf8");
  return new Promise<SendResult>((resolve, reject) => {
    let settled = false;
    let req: ClientRequest | undefined;
    const timers: NodeJS.Timeout[] = [];
    const done = (err: Error | undefined, r?: SendResult) => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      if (err) {
        req?.destroy();
        reject(err);
      } else resolve(r!);
    };
    const fail = (what: string) => done(new Error(`${what} (${url.origin})`));
    req = (https ? httpsRequest : httpRequest)({
      protocol: url.protocol,
      host: address,
      port: url.port || (https ? 443 : 80),
      method: "POST",
      path: `${url.pathname}${url.search}`,
      // SNI and certificate check against the URL's name (an IP literal takes no SNI).
      ...(https && host !== address ? { servername: host } : {}),
      headers: { ...headers, host: url.host, "content-type": "application/json", "content-length": String(data.length), "user-agent": "batch-scf-webhooks/1", connection: "close" },
      agent: false,
    });
    timers.push(setTimeout(() => fail(`no connection within ${limits.connectTimeoutMs} ms`), limits.connectTimeoutMs));
    timers.push(setTimeout(() => fail(`no complete answer within ${limits.totalTimeoutMs} ms`), limits.totalTimeoutMs));
    req.on("socket", (socket) => {
      socket.once(https ? "secureConnect" : "connect", () => clearTimeout(timers[0]));
    });
    req.on("error", (e: NodeJS.ErrnoException) => fail(`request failed: ${e.code ?? e.message}`));
    req.on("response", (res: IncomingMessage) => {
      const retryAfter = res.headers["retry-after"];
      const result: SendResult = { status: res.statusCode ?? 0, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter };
      let read = 0;
      res.on("data", (chunk: Buffer) => {
        read += chunk.length;
        // Enough read: the status is what counts, the rest is dropped with the socket.
        if (read > limits.maxBytes) {
          done(undefined, result);
          res.destroy();
        }
      });
      res.on("end", () => done(undefined, result));
      res.on("error", () => done(undefined, result));
      res.on("aborted", () => done(undefined, result));
    });
    req.end(data);
  });
};
