// Where a webhook may be delivered (issue 16 §3): `https` only, plain `http` only to loopback when
// the caller allows it (the local stack); no credentials in the URL; an optional host allow-list;
// and, once the host is resolved, no private, loopback, link-local (Tencent's metadata service
// answers on 169.254.0.23), shared-address, documentation, multicast or reserved address, so a
// webhook cannot be pointed into the VPC (SSRF). Resolve once and connect to the address that was
// checked (a second lookup could answer differently: DNS rebinding).
import { lookup as dnsLookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

export interface DestinationPolicy {
  /** Hosts (exact, lower case) or `*.suffix` patterns deliveries may go to; empty or absent = any public host. */
  allowHosts?: readonly string[];
  /** Allow `http:` to a loopback host (localhost, 127.0.0.0/8, ::1): the local stack's receivers. */
  allowLoopbackHttp?: boolean;
}

export type UrlVerdict = { ok: true; url: URL } | { ok: false; rule: string };

const NOT_PUBLIC_V4: Array<[string, number]> = [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
];
const NOT_PUBLIC_V6: Array<[string, number]> = [
  ["::", 128],
  ["::1", 128],
  ["100::", 64],
  ["2001:db8::", 32],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
];
// Built on first use, not when the module loads: the jobs function loads this module for every
// request but checks a URL only for a submit with Notify.
let blockList: BlockList | undefined;
function blocked(): BlockList {
  if (!blockList) {
    blockList = new BlockList();
    for (const [net, bits] of NOT_PUBLIC_V4) blockList.addSubnet(net, bits, "ipv4");
    for (const [net, bits] of NOT_PUBLIC_V6) blockList.addSubnet(net, bits, "ipv6");
  }
  return blockList;
}

/** The IPv4 address an IPv6 address carries (IPv4-mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`), if any. */
function embeddedV4(ip: string): string | undefined {
  const m = /^(?:::ffff:|64:ff9b::)(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/i.exec(ip);
  if (!m) return undefined;
  if (m[1]) return m[1];
  const hi = Number.parseInt(m[2]!, 16);
  const lo = Number.parseInt(m[3]!, 16);
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join(".");
}

/** Whether `ip` is a public unicast address a webhook may reach. */
export function isPublicAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return !blocked().check(ip, "ipv4");
  if (family !== 6) return false;
  const v4 = embeddedV4(ip.toLowerCase());
  if (v4) return isPublicAddress(v4);
  return !blocked().check(ip, "ipv6");
}

const isLoopbackHost = (host: string) => host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);

const hostAllowed = (host: string, allow: readonly string[]) =>
  allow.some((a) => (a.startsWith("*.") ? host.endsWith(a.slice(1)) && host.length > a.length - 1 : host === a));

/** The URL's own rules, before any lookup: scheme, credentials, allow-list, a literal address that is not public. */
export function checkWebhookUrl(raw: string, policy: DestinationPolicy = {}): UrlVerdict {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, rule: "is not an absolute URL" };
  }
  const host = url.hostname.toLowerCase();
  const loopback = isLoopbackHost(host);
  if (url.protocol === "http:") {
    if (!(policy.allowLoopbackHttp && loopback)) return { ok: false, rule: "must use https (plain http only to a loopback receiver of the local stack)" };
  } else if (url.protocol !== "https:") return { ok: false, rule: "must use https" };
  if (url.username || url.password) return { ok: false, rule: "must not carry credentials (user:password@)" };
  if (url.hash) return { ok: false, rule: "must not carry a #fragment" };
  if (policy.allowHosts?.length && !hostAllowed(host, policy.allowHosts)) return { ok: false, rule: `host ${host} is not in the allowed webhook hosts` };
  const literal = host.startsWith("[") ? host.slice(1, -1) : host;
  if (isIP(literal) && !isPublicAddress(literal) && !(policy.allowLoopbackHttp && loopback))
    return { ok: false, rule: `${literal} is not a public address (private, loopback, link-local or reserved)` };
  return { ok: true, url };
}

export type Resolved = { ok: true; address: string; family: 4 | 6 } | { ok: false; rule: string };

/**
 * Resolves the URL's host and checks every address it has: one that is not public refuses the
 * whole host (an attacker's name may list a public and a private address). Answers the first
 * address, to connect to exactly what was checked.
 */
export async function resolveWebhookHost(
  url: URL,
  policy: DestinationPolicy = {},
  lookup: (host: string) => Promise<Array<{ address: string; family: number }>> = (h) => dnsLookup(h, { all: true, verbatim: true }),
): Promise<Resolved> {
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const loopbackOk = policy.allowLoopbackHttp === true && isLoopbackHost(url.hostname.toLowerCase());
  let addresses: Array<{ address: string; family: number }>;
  try {
    addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host);
  } catch (e) {
    return { ok: false, rule: `host ${host} does not resolve (${(e as { code?: string }).code ?? "lookup failed"})` };
  }
  if (addresses.length === 0) return { ok: false, rule: `host ${host} has no address` };
  const bad = addresses.find((a) => !isPublicAddress(a.address) && !(loopbackOk && (a.address === "::1" || a.address.startsWith("127."))));
  if (bad) return { ok: false, rule: `host ${host} resolves to ${bad.address}, which is not a public address` };
  const first = addresses[0]!;
  return { ok: true, address: first.address, family: first.family === 6 ? 6 : 4 };
}
