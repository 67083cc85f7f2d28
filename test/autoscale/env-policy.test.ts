import { LIMITS } from "../../shared/schemas/limits";
// The autoscale opt-in in the shared env policy (shared/env-policy.ts): envs and node-abnormal
// read the same document, so what they read must not change.
import { describe, expect, it } from "vitest";
import { DEFAULT_REMEDIATION } from "../../functions/node-abnormal/config";
import {
  AUTOSCALE_DEFAULTS,
  AUTOSCALE_OPT_IN_TAG,
  AUTOSCALE_TAG_KEY,
  autoscaleFor,
  DEFAULT_RULE,
  formatChangeStamp,
  loadEnvPolicy,
  descriptionText,
  parseChangeStamp,
  stampDescription,
  ruleFor,
} from "../../shared/env-policy";

const policy = (doc: unknown) => loadEnvPolicy({ ENV_POLICY: JSON.stringify(doc) });
const env = (EnvName: string, EnvId = "env-zzzzzzzz") => ({ EnvId, EnvName });

describe("autoscale opt-in", () => {
  it("is off unless the policy or the tag turns it on, and says why", () => {
    const rule = ruleFor(policy({}), env("etl"));
    expect(rule).toEqual(DEFAULT_RULE);
    expect(autoscaleFor(rule, [])).toEqual({ on: false, why: "not opted in: no autoscale in the env policy's rule and no tag batch-scf/autoscale=on" });
    expect(autoscaleFor(rule, [{ Key: AUTOSCALE_TAG_KEY, Value: "yes" }])).toMatchObject({ on: false, why: expect.stringContaining('"yes", neither on nor off') });
  });

  it("turns on with the defaults through the tag batch-scf/autoscale=on, within the rule's bounds", () => {
    expect(AUTOSCALE_OPT_IN_TAG).toEqual({ Key: "batch-scf/autoscale", Value: "on" });
    const rule = ruleFor(policy({ default: { maxNodes: 8, maxCores: 64, minNodes: 1 } }), env("etl"));
    expect(autoscaleFor(rule, [{ Key: "batch-scf/autoscale", Value: "ON" }])).toEqual({
      on: true,
      settings: { source: "tag", minNodes: 1, maxNodes: 8, maxCores: 64, allowScaling: true, ...AUTOSCALE_DEFAULTS },
    });
    expect(AUTOSCALE_DEFAULTS).toEqual({ scaleDownAfterSeconds: 600, maxStepUp: 50, manualHoldSeconds: 900, remediationHoldSeconds: 300 });
  });

  it("turns on env-wide from the default rule, or per env id / name glob, merged field by field", () => {
    const p = policy({
      default: { maxNodes: 30, autoscale: { scaleDownAfterSeconds: 300 } },
      envs: [
        { envName: "render-*", autoscale: { maxNodes: 12, maxStepUp: 4 } },
        { envId: "env-abcd1234", autoscale: { minNodes: 2 } },
      ],
    });
    expect(autoscaleFor(ruleFor(p, env("etl")), [])).toMatchObject({ on: true, settings: { source: "policy", maxNodes: 30, scaleDownAfterSeconds: 300, maxStepUp: 50 } });
    expect(autoscaleFor(ruleFor(p, env("render-4k")), [])).toMatchObject({ on: true, settings: { maxNodes: 12, maxStepUp: 4, scaleDownAfterSeconds: 300 } });
    expect(autoscaleFor(ruleFor(p, env("render-hd", "env-abcd1234")), [])).toMatchObject({
      on: true,
      settings: { minNodes: 2, maxNodes: 12, maxStepUp: 4, scaleDownAfterSeconds: 300 },
    });
  });

  it("never exceeds the rule's maxNodes nor goes below its minNodes, and carries maxCores and allowScaling", () => {
    const p = policy({ envs: [{ envName: "big", maxNodes: 5, minNodes: 1, maxCores: 40, allowScaling: false, autoscale: { maxNodes: 5, minNodes: 1 } }] });
    const rule = { ...ruleFor(p, env("big")), maxNodes: 3 };
    expect(autoscaleFor(rule, [])).toMatchObject({ on: true, settings: { maxNodes: 3, minNodes: 1, maxCores: 40, allowScaling: false } });
    const floor = ruleFor(policy({ default: { minNodes: 2, autoscale: {} } }), env("x"));
    expect(autoscaleFor({ ...floor, autoscale: { minNodes: 0 } }, [])).toMatchObject({ settings: { minNodes: 2 } });
  });

  it("is turned off by the policy whatever the tag says, and by the tag off whatever the policy says", () => {
    const p = policy({ default: { autoscale: {} }, envs: [{ envName: "prod-*", autoscale: { enabled: false } }] });
    expect(autoscaleFor(ruleFor(p, env("prod-db")), [AUTOSCALE_OPT_IN_TAG])).toEqual({
      on: false,
      why: "the env policy turns autoscale off for this env (autoscale.enabled: false)",
    });
    expect(autoscaleFor(ruleFor(p, env("etl")), [{ Key: AUTOSCALE_TAG_KEY, Value: "off" }])).toEqual({ on: false, why: "the env is tagged batch-scf/autoscale=off" });
  });

  it("keeps the rule envs and node-abnormal read unchanged when autoscale is set", () => {
    const p = policy({ default: { maxNodes: 10 }, envs: [{ envName: "render-*", maxNodes: 50, cooldownSeconds: 300, autoscale: { maxStepUp: 3 } }] });
    expect(ruleFor(p, env("render-4k"))).toEqual({ ...DEFAULT_RULE, maxNodes: 50, cooldownSeconds: 300, autoscale: { maxStepUp: 3 } });
    expect(ruleFor(p, env("etl"))).toEqual({ ...DEFAULT_RULE, maxNodes: 10 });
  });

  it("waits after a remediation as long as node-abnormal's own cooldown, by default", () => {
    expect(AUTOSCALE_DEFAULTS.remediationHoldSeconds).toBe(DEFAULT_REMEDIATION.cooldownSeconds);
  });
});

describe("autoscale policy validation", () => {
  const bad = (doc: unknown) => {
    try {
      policy(doc);
      return "";
    } catch (e) {
      return (e as Error).message;
    }
  };

  it("names the field that is wrong", () => {
    expect(bad({ default: { autoscale: { maxStepUp: 0 } } })).toMatch(/ENV_POLICY\.default\.autoscale\.maxStepUp: Number must be greater than or equal to 1/);
    expect(bad({ envs: [{ envName: "r-*", autoscale: { scaleDownAfterSeconds: -1 } }] })).toMatch(/ENV_POLICY\.envs\.0\.autoscale\.scaleDownAfterSeconds/);
    expect(bad({ default: { autoscale: { minNode: 1 } } })).toMatch(/ENV_POLICY\.default\.autoscale: Unrecognized key\(s\) in object: 'minNode'/);
    expect(bad({ default: { autoscale: { enabled: "yes" } } })).toMatch(/ENV_POLICY\.default\.autoscale\.enabled: Expected boolean, received string/);
    expect(bad({ default: { autoscale: { minNodes: 5, maxNodes: 3 } } })).toMatch(
      /ENV_POLICY\.default\.autoscale\.minNodes: autoscale\.minNodes must not exceed autoscale\.maxNodes \(3\)/,
    );
    expect(bad({ default: { maxNodes: 4 }, envs: [{ envId: "env-abcd1234", autoscale: { minNodes: 6 } }] })).toMatch(
      /ENV_POLICY\.envs\.0\.autoscale\.minNodes: autoscale\.minNodes must not exceed maxNodes \(4\)/,
    );
    expect(bad({ default: { minNodes: 2, autoscale: { maxNodes: 1 } } })).toMatch(/ENV_POLICY\.default\.autoscale\.maxNodes: autoscale\.maxNodes must not be below minNodes \(2\)/);
    expect(bad({ default: { autoscale: { minNodes: 1, maxNodes: 5 } } })).toBe("");
  });
});

describe("rules by region (BATCH_REGIONS)", () => {
  const inZone = (EnvName: string, Zone: string) => ({ EnvId: "env-zzzzzzzz", EnvName, Placement: { Zone } });
  const p = policy({
    envs: [
      { region: "ap-shanghai", maxNodes: 4 },
      { region: "ap-shanghai", envName: "render-*", autoscale: { maxStepUp: 2 } },
    ],
  });

  it("matches the region of the env's zone, alone or with a name, never an env given without a zone", () => {
    expect(ruleFor(p, inZone("etl", "ap-shanghai-1"))).toEqual({ ...DEFAULT_RULE, maxNodes: 4 });
    expect(ruleFor(p, inZone("render-4k", "ap-shanghai-1"))).toEqual({ ...DEFAULT_RULE, maxNodes: 4, autoscale: { maxStepUp: 2 } });
    expect(ruleFor(p, inZone("render-4k", "ap-guangzhou-2"))).toEqual(DEFAULT_RULE);
    expect(ruleFor(p, env("render-4k"))).toEqual(DEFAULT_RULE);
  });

  it("refuses a malformed region, and an override that names both envId and envName", () => {
    const bad = (doc: unknown) => () => policy(doc);
    expect(bad({ envs: [{ region: "shanghai", maxNodes: 1 }] })).toThrow(/ENV_POLICY\.envs\.0\.region: a region such as ap-shanghai/);
    expect(bad({ envs: [{ envId: "env-abcd1234", envName: "x", maxNodes: 1 }] })).toThrow(/exactly one of envId or envName/);
  });
});

describe("last-change stamp", () => {
  it("round-trips author and time, and ignores what it cannot read", () => {
    const at = Date.parse("2026-03-02T12:00:00Z");
    const value = formatChangeStamp({ by: "manual", at });
    expect(value).toBe("manual@2026-03-02T12:00:00Z");
    const stamped = stampDescription("GPU renders, team A", { by: "manual", at });
    expect(stamped).toBe("GPU renders, team A [batch-scf/last-change=manual@2026-03-02T12:00:00Z]");
    expect(parseChangeStamp(stamped)).toEqual({ by: "manual", at });
    expect(descriptionText(stamped)).toBe("GPU renders, team A");
    for (const v of ["robot@2026-03-02T12:00:00Z", "manual@2026-03-02", "manual", ""]) expect(parseChangeStamp(`x [batch-scf/last-change=${v}]`)).toBeUndefined();
    expect(parseChangeStamp(null)).toBeUndefined();
    expect(parseChangeStamp("a description that merely mentions batch-scf/last-change")).toBeUndefined();
  });

  it("replaces its own marker, keeps the person's text, and stays within Batch's description limit", () => {
    const later = stampDescription(stampDescription("renders", { by: "manual", at: 0 }), { by: "autoscale", at: 60_000 });
    expect(later).toBe("renders [batch-scf/last-change=autoscale@1970-01-01T00:01:00Z]");
    expect(stampDescription(undefined, { by: "remediation", at: 0 })).toBe("[batch-scf/last-change=remediation@1970-01-01T00:00:00Z]");
    const long = stampDescription("x".repeat(LIMITS.envDescription), { by: "manual", at: 0 });
    expect(long.length).toBe(LIMITS.envDescription);
    expect(parseChangeStamp(long)).toEqual({ by: "manual", at: 0 });
  });
});
