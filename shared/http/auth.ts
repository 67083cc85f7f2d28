// API keys. `API_KEYS` grammar (entries separated by commas, whitespace around entries ignored):
//
//   API_KEYS = entry ("," entry)*
//   entry    = name ":" key [ ":" scope ("|" scope)* ]
//   name     = [A-Za-z0-9._-]{1,64}       (who calls: logged, and tagged on what they create)
//   key      = 16..256 chars of [A-Za-z0-9._~+/=-]   (no ":" or ","; e.g. `openssl rand -hex 24`)
//   scope    = "*" | [a-z0-9_-]+ ":" ([a-z0-9_-]+ | "*")   (e.g. jobs:read, jobs:write, envs:*)
//
// An entry with no scopes may call every route of the function (all scopes). Names and keys
// must be unique. A malformed API_KEYS, or none at all, makes the function refuse every request
// (503 auth_not_configured): it never serves unauthenticated.
//
// Keys are compared in constant time: the presented key and every configured key are hashed with
// sha256 and compared with timingSafeEqual, always against all entries.
import { timingSafeEqual } from "node:crypto";
import { secretDigest } from "./secret";
import { AppError } from "../errors";

export interface Principal {
  name: string;
  /** Empty = all scopes. */
  scopes: string[];
}

interface KeyEntry extends Principal {
  digest: Buffer;
}

export interface KeyRing {
  readonly size: number;
  /** Why the configuration is unusable (never contains a key), when it is. */
  readonly error: string | undefined;
  /** The principal whose key this is, or undefined. Constant time over all entries. */
  verify(presented: string): Principal | undefined;
}

const NAME = /^[A-Za-z0-9._-]{1,64}$/;
const KEY = /^[A-Za-z0-9._~+/=-]{16,256}$/;
const SCOPE = /^(\*|[a-z0-9_-]+:([a-z0-9_-]+|\*))$/;


/** Parses API_KEYS. Never throws: an unusable value yields a ring with `error` set. */
export function parseApiKeys(raw: string | undefined): KeyRing {
  const entries: KeyEntry[] = [];
  let error: string | undefined;
  const parts = (raw ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  for (const [i, part] of parts.entries()) {
    const at = `API_KEYS entry ${i + 1}`;
    const first = part.indexOf(":");
    const second = first < 0 ? -1 : part.indexOf(":", first + 1);
    const name = first < 0 ? part : part.slice(0, first);
    const key = first < 0 ? "" : second < 0 ? part.slice(first + 1) : part.slice(first + 1, second);
    const scopes = second < 0 ? [] : part.slice(second + 1).split("|").map((s) => s.trim());
    // Messages name entries by number only, never by what was written: in a malformed entry the
    // "name" may well be a key (e.g. `<key>:jobs:read` with the name left out).
    if (first < 0) error = `${at}: expected name:key or name:key:scopes`;
    else if (!NAME.test(name)) error = `${at}: the name must be 1-64 of A-Z a-z 0-9 . _ -`;
    else if (!KEY.test(key)) error = `${at}: the key must be 16-256 of A-Z a-z 0-9 . _ ~ + / = -`;
    else if (second >= 0 && scopes.some((s) => !SCOPE.test(s)))
      error = `${at}: scopes look like jobs:read, jobs:write, jobs:* or *, separated by |`;
    else if (entries.some((e) => e.name === name)) error = `${at}: its name is the same as entry ${entries.findIndex((e) => e.name === name) + 1}'s`;
    else if (entries.some((e) => e.digest.equals(secretDigest(key)))) error = `${at}: the key is the same as another entry's`;
    if (error) break;
    entries.push({ name, scopes, digest: secretDigest(key) });
  }
  if (!error && entries.length === 0) error = "API_KEYS is empty: no caller can be authenticated";
  const ring = error ? [] : entries;
  return {
    size: ring.length,
    error,
    verify(presented) {
      const d = secretDigest(presented);
      let found: KeyEntry | undefined;
      for (const e of ring) {
        if (timingSafeEqual(d, e.digest) && !found) found = e;
      }
      return found ? { name: found.name, scopes: found.scopes } : undefined;
    },
  };
}

/** Whether the principal holds `scope` (no scopes listed = all; `jobs:*` covers `jobs:read`). */
export function hasScope(p: Principal, scope: string | undefined): boolean {
  if (!scope || p.scopes.length === 0) return true;
  return p.scopes.some((s) => s === "*" || s === scope || (s.endsWith(":*") && scope.startsWith(s.slice(0, -1))));
}

const REALM = 'Bearer realm="batch-scf"';

/**
 * Who is calling: 503 auth_not_configured when the ring is unusable, 401 unauthorized
 * (with WWW-Authenticate: Bearer) without a valid `Authorization: Bearer <key>`.
 */
export function identify(ring: KeyRing, authorization: string | undefined): Principal {
  if (ring.error || ring.size === 0)
    throw new AppError("auth_not_configured", "the function has no usable API keys configured; it refuses to serve", {
      status: 503,
      expose: true,
    });
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? "");
  if (!m) {
    throw new AppError("unauthorized", "an API key is required: send Authorization: Bearer <key>", {
      status: 401,
      details: { wwwAuthenticate: REALM },
    });
  }
  const principal = ring.verify(m[1]!);
  if (!principal) {
    throw new AppError("unauthorized", "the API key is not valid", {
      status: 401,
      details: { wwwAuthenticate: `${REALM}, error="invalid_token"` },
    });
  }
  return principal;
}

/** 403 forbidden when the principal lacks the route's scope. */
export function requireScope(principal: Principal, scope: string | undefined): void {
  if (hasScope(principal, scope)) return;
  throw new AppError("forbidden", `the API key ${principal.name} lacks the scope ${scope}`, {
    status: 403,
    details: { wwwAuthenticate: `${REALM}, error="insufficient_scope", scope="${scope}"` },
  });
}

/** identify + requireScope. */
export function authenticate(ring: KeyRing, authorization: string | undefined, scope: string | undefined): Principal {
  const p = identify(ring, authorization);
  requireScope(p, scope);
  return p;
}

/**
 * Ownership: a key may change only what it created (a job's `submitter` tag, an env's creator
 * tag), unless its entry lists the admin scope (`jobs:admin`, `envs:admin`) by name: wildcards
 * (`jobs:*`, `*`) and a key without scopes do not grant it, so keys configured before ownership
 * existed do not bypass it. What carries no owner (made outside this API: the console, another
 * tool) may be changed by any key with the route's write scope; the env policy's scaleScopes still
 * guard envs. 403 `not_owner` names the owner and the scope that would allow it.
 */
export function requireOwner(principal: Principal, owner: string | null | undefined, adminScope: string, what: string): void {
  if (owner === null || owner === undefined || owner === principal.name || principal.scopes.includes(adminScope)) return;
  throw new AppError("not_owner", `${what} was created by ${owner}; the API key ${principal.name} may change only what it created, or needs the scope ${adminScope}`, {
    status: 403,
    details: { owner, requiredScope: adminScope },
  });
}
