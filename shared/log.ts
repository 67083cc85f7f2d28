// One JSON line per entry. Secrets never reach a log: known secret-bearing keys are
// masked wherever they appear, and values that look like TC3 signatures or bearer
// tokens are masked too.

export type Level = "debug" | "info" | "warn" | "error";

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export type LogSink = (line: string) => void;

const SECRET_KEY =
  /^(authorization|x-tc-token|secretkey|secret_key|secretid|secret_id|token|sessiontoken|session_token|password|api[-_]?key|api_keys|signature|x-api-key|cookie)$/i;
const SECRET_VALUE = /(TC3-HMAC-SHA256[^"]*|Bearer\s+\S+|Signature=[0-9a-f]+)/gi;

const LEVELS: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return "[depth]";
  if (typeof value === "string") return value.replace(SECRET_VALUE, "[redacted]");
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Error) {
    const e = value as Error & { code?: unknown; requestId?: unknown };
    return redact(
      { name: e.name, message: e.message, code: e.code, requestId: e.requestId, stack: e.stack },
      depth + 1,
    );
  }
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SECRET_KEY.test(k) ? "[redacted]" : redact(v, depth + 1);
    }
    return out;
  }
  return value;
}

export function createLogger(
  base: Record<string, unknown> = {},
  opts: { sink?: LogSink; level?: Level; now?: () => Date } = {},
): Logger {
  const sink = opts.sink ?? ((line: string) => process.stdout.write(`${line}\n`));
  // A child takes its parent's level: LOG_LEVEL is read once per root logger, not per request.
  const level = opts.level ?? envLevel();
  const min = LEVELS[level];
  const now = opts.now ?? (() => new Date());
  const write = (level: Level, msg: string, fields?: Record<string, unknown>) => {
    if (LEVELS[level] < min) return;
    const entry = redact({ level, msg, time: now().toISOString(), ...base, ...fields });
    sink(JSON.stringify(entry));
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    child: (fields) => createLogger({ ...base, ...fields }, { sink, level, now }),
  };
}

function envLevel(): Level {
  const v = (process.env.LOG_LEVEL ?? "info").toLowerCase();
  return v in LEVELS ? (v as Level) : "info";
}

/** A logger that keeps lines in memory, for tests. */
export function memoryLogger(base: Record<string, unknown> = {}): Logger & { lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger(base, { sink: (l) => lines.push(JSON.parse(l) as Record<string, unknown>), level: "debug" });
  return Object.assign(logger, { lines });
}
