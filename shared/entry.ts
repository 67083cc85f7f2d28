// The SCF entry of every function: `main_handler = lazyEntry(name, fromEnv, makeHandler)`.
// Dependencies are built from the environment once per container, on the first event (index.ts
// defers loading the code itself). A configuration that cannot be built fails each event the
// same way in every function: the log names the variable and the rule (never a value that is a
// secret); an HTTP event is answered 500 `config_invalid` as problem+json, naming nothing; a
// timer or CMQ event is thrown, so SCF reports the invocation failed and retries it. The next
// event tries again (nothing half-built is kept).
import { AppError, isAppError } from "./errors";
import { toProblem } from "./http/problem";
import { fallbackRequestId, type ScfHttpResponse, toScfResponse } from "./http/request";
import { createLogger, type Logger } from "./log";
import { isHttpEvent } from "./triggers/http";

export type Handler<R> = (event: unknown, context?: unknown) => Promise<R>;

export function lazyEntry<D, R>(
  name: string,
  fromEnv: (env: NodeJS.ProcessEnv, logger: Logger) => D,
  makeHandler: (deps: D) => Handler<R>,
): Handler<R | ScfHttpResponse> {
  let handler: Handler<R> | undefined;
  return async (event, context) => {
    if (!handler) {
      const logger = createLogger({ function: name });
      try {
        handler = makeHandler(fromEnv(process.env, logger));
      } catch (e) {
        logger.error(`configuration invalid: the ${name} function cannot run`, { err: e });
        if (isHttpEvent(event)) return unconfigured(e, fallbackRequestId(event, context));
        throw e;
      }
    }
    return handler(event, context);
  };
}

function unconfigured(e: unknown, requestId: string): ScfHttpResponse {
  const code = isAppError(e) && e.code === "config_invalid" ? e.code : "internal_error";
  const p = toProblem(new AppError(code, `the function's configuration is invalid; quote request id ${requestId} when reporting it`, { expose: true }), requestId);
  return toScfResponse({ status: 500, headers: { "content-type": "application/problem+json" }, body: p.problem }, requestId);
}
