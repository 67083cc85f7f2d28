// One error family for the whole bundle. `code` is stable (clients match on it),
// `status` is the HTTP status, `expose` says whether `message` may reach a caller.

export interface FieldIssue {
  path: string;
  message: string;
  code?: string;
}

export interface AppErrorOptions {
  status?: number;
  expose?: boolean;
  issues?: FieldIssue[];
  tencentCode?: string;
  requestId?: string;
  retryAfterSeconds?: number;
  cause?: unknown;
  details?: Record<string, unknown>;
}

export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly expose: boolean;
  readonly issues: FieldIssue[];
  readonly tencentCode: string | undefined;
  readonly requestId: string | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, opts: AppErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "AppError";
    this.code = code;
    this.status = opts.status ?? 500;
    this.expose = opts.expose ?? this.status < 500;
    this.issues = opts.issues ?? [];
    this.tencentCode = opts.tencentCode;
    this.requestId = opts.requestId;
    this.retryAfterSeconds = opts.retryAfterSeconds;
    this.details = opts.details;
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;

/** A request that fails validation: 400 with each offending field path. */
export function validationError(issues: FieldIssue[], message?: string): AppError {
  const first = issues[0];
  return new AppError(
    "validation_failed",
    message ?? (first ? `${first.path || "(body)"}: ${first.message}` : "request is invalid"),
    { status: 400, issues },
  );
}

/**
 * Turns zod issues into field issues with dotted paths (`Job.Tasks[0].TaskName`). An unknown
 * field is reported at its own path (`Job.Taskz: unknown field`), not at its parent's.
 */
export function issuesFromZod(
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string; code?: string; keys?: ReadonlyArray<string> }>,
  prefix = "",
): FieldIssue[] {
  return issues.flatMap((i) =>
    i.code === "unrecognized_keys" && i.keys?.length
      ? i.keys.map((k) => ({ path: joinPath(prefix, [...i.path, k]), message: "unknown field", code: i.code! }))
      : [{ path: joinPath(prefix, i.path), message: i.message, ...(i.code ? { code: i.code } : {}) }],
  );
}

/** `Job.Tasks[0].TaskName`; a key that is not a plain name is quoted: `Job[""]`, `Tags["a b"]`. */
export function joinPath(prefix: string, path: ReadonlyArray<PropertyKey>): string {
  let out = prefix;
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (!/^[A-Za-z_$][\w$-]*$/.test(String(seg))) out += `[${JSON.stringify(String(seg))}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}
