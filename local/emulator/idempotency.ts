// ClientToken: a repeated request with the same token answers the id the first one created.
import { requestHash as canonicalHash } from "../../shared/schemas/canonical-json";
import { LIMITS } from "../../shared/schemas/limits";
import type { EmuContext } from "./context";
import { fail, type Obj, optStr } from "./validate";

/**
 * ClientToken: at most 64 printable ASCII characters, Batch's own rule. (The functions accept an
 * Idempotency-Key of up to 255 and send Batch a 64-character token derived from it.)
 */
export function clientToken(v: unknown): string | undefined {
  return optStr(v, "ClientToken", {
    max: LIMITS.clientToken,
    tooLongCode: "InvalidParameter",
    pattern: /^[\x20-\x7e]+$/,
    patternCode: "InvalidParameter",
    patternRule: "must be printable ASCII",
  });
}

/** The shared canonical request hash, ClientToken left out, over the request and its region (a token is per region). */
const requestHash = (req: Obj, region: string): string => canonicalHash({ region, request: { ...req, ClientToken: undefined } });

/**
 * The id an earlier request with the same ClientToken created, or undefined for a new token.
 * The same token with a different request is refused, naming ClientToken.
 */
export function replayedResult(ctx: EmuContext, action: string, token: string | undefined, req: Obj): string | undefined {
  if (!token) return undefined;
  const prior = ctx.store.getToken(action, token, ctx.region);
  if (!prior) return undefined;
  if (prior.requestHash !== requestHash(req, ctx.region))
    fail("InvalidParameter", "ClientToken", `token ${token} was already used for a different ${action} request`);
  return prior.resultId;
}

export function rememberToken(ctx: EmuContext, action: string, token: string | undefined, req: Obj, resultId: string): void {
  if (!token) return;
  ctx.store.saveToken({ action, token, region: ctx.region, requestHash: requestHash(req, ctx.region), resultId, at: ctx.now() });
}
