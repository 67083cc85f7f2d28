import { describe, expect, it } from "vitest";
import { AppError } from "../../shared/errors";
import { DEFAULT_RULE, loadEnvPolicy, ruleFor } from "../../shared/env-policy";
import { memoryLogger } from "../../shared/log";

describe("env policy", () => {
  it("uses the defaults when nothing is configured", () => {
    expect(ruleFor(loadEnvPolicy({}), { EnvId: "env-aaaaaaaa", EnvName: "x" })).toEqual(DEFAULT_RULE);
  });

  it("applies overrides by id and by name glob, later wins", () => {
    const policy = loadEnvPolicy({
      ENV_POLICY: JSON.stringify({
        default: { maxNodes: 10 },
        envs: [
          { envName: "render-*", maxNodes: 50, cooldownSeconds: 300 },
          { envId: "env-abcd1234", allowScaling: false },
        ],
      }),
    });
    expect(ruleFor(policy, { EnvId: "env-zzzzzzzz", EnvName: "etl" }).maxNodes).toBe(10);
    expect(ruleFor(policy, { EnvId: "env-zzzzzzzz", EnvName: "render-4k" })).toMatchObject({ maxNodes: 50, cooldownSeconds: 300 });
    expect(ruleFor(policy, { EnvId: "env-abcd1234", EnvName: "render-hd" })).toMatchObject({ maxNodes: 50, allowScaling: false });
  });

  it("stops with the variable and field that are wrong", () => {
    const bad = (v: unknown) => {
      try {
        loadEnvPolicy({ ENV_POLICY: JSON.stringify(v) });
        return "";
      } catch (e) {
        expect(e).toBeInstanceOf(AppError);
        return (e as Error).message;
      }
    };
    expect(bad({ default: { maxNodes: -1 } })).toMatch(/ENV_POLICY\.default\.maxNodes/);
    expect(bad({ default: { minNodes: 5, maxNodes: 2 } })).toMatch(/ENV_POLICY\.default\.minNodes: minNodes must not exceed maxNodes/);
    expect(bad({ envs: [{ maxNodes: 3 }] })).toMatch(/exactly one of envId or envName/);
    expect(bad({ default: { maxNode: 3 } })).toMatch(/ENV_POLICY\.default/);
    expect(() => loadEnvPolicy({ ENV_POLICY: "{not json" })).toThrow(/ENV_POLICY is not valid JSON/);
  });
});

describe("log redaction", () => {
  it("never writes secrets, authorization headers or signatures", () => {
    const log = memoryLogger({ function: "t" });
    log.info("request", {
      headers: { authorization: "Bearer sk-live-123", "x-tc-token": "tok" },
      creds: { SecretKey: "abc", secretId: "AKID1" },
      note: "sent TC3-HMAC-SHA256 Credential=AKID1/2026-11-27/batch/tc3_request, SignedHeaders=content-type;host, Signature=abcdef",
      err: new Error("token Bearer xyz leaked?"),
    });
    const text = JSON.stringify(log.lines);
    for (const secret of ["sk-live-123", "tok\"", "abc\"", "AKID1/", "Signature=abcdef", "Bearer xyz"]) expect(text).not.toContain(secret);
    expect(log.lines[0]).toMatchObject({ level: "info", msg: "request", function: "t" });
  });
});

describe("empty variables", () => {
  it("count as unset, as a deploy file's env references leave them", async () => {
    const { parseEnv } = await import("../../shared/config");
    const { z } = await import("zod");
    expect(loadEnvPolicy({ ENV_POLICY: "", ENV_POLICY_FILE: " " })).toEqual(loadEnvPolicy({}));
    const schema = z.object({ ALERT_WEBHOOK_URL: z.string().url().optional() }).passthrough();
    expect(parseEnv(schema, { ALERT_WEBHOOK_URL: "" }).ALERT_WEBHOOK_URL).toBeUndefined();
    expect(() => parseEnv(schema, { ALERT_WEBHOOK_URL: "not a url" })).toThrow(/ALERT_WEBHOOK_URL/);
  });
});
