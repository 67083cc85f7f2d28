import { describe, expect, it } from "vitest";
import { DEFAULT_REMEDIATION, loadConfig } from "../../functions/node-abnormal/config";

describe("node-abnormal configuration", () => {
  it("uses the defaults when only the region is set", () => {
    expect(loadConfig({ TENCENTCLOUD_REGION: "ap-guangzhou" })).toEqual({ remediation: DEFAULT_REMEDIATION, alertWebhookUrl: undefined, batchEndpoint: undefined, region: "ap-guangzhou" });
  });

  it("refuses a missing or malformed TENCENTCLOUD_REGION instead of falling back to ap-guangzhou", () => {
    expect(() => loadConfig({})).toThrow(/TENCENTCLOUD_REGION/);
    expect(() => loadConfig({ TENCENTCLOUD_REGION: "guangzhou" })).toThrow(/TENCENTCLOUD_REGION: a region such as ap-guangzhou/);
  });

  it("reads every knob from its variable", () => {
    const c = loadConfig({
      DRY_RUN: "true",
      REMEDIATION_MODE: "surge",
      REMEDIATION_GRACE_SECONDS: "120",
      REMEDIATION_MAX_UNHEALTHY_PERCENT: "30",
      REMEDIATION_OK_UNHEALTHY_COUNT: "2",
      REMEDIATION_COOLDOWN_SECONDS: "60",
      REMEDIATION_MAX_PER_HOUR: "3",
      REMEDIATION_RETRY_WINDOW_SECONDS: "900",
      EVENT_SKEW_SECONDS: "5",
      ALERT_REPEAT_SECONDS: "0",
      ALERT_WEBHOOK_URL: "https://hooks.example.com/batch",
      TENCENTCLOUD_REGION: "ap-shanghai",
    });
    expect(c).toEqual({
      remediation: {
        dryRun: true,
        mode: "surge",
        graceSeconds: 120,
        maxUnhealthyPercent: 30,
        okUnhealthyCount: 2,
        cooldownSeconds: 60,
        maxReplacementsPerHour: 3,
        retryWindowSeconds: 900,
        eventSkewSeconds: 5,
        alertRepeatSeconds: 0,
      },
      alertWebhookUrl: "https://hooks.example.com/batch",
      batchEndpoint: undefined,
      region: "ap-shanghai",
    });
  });

  it.each([
    [{ REMEDIATION_MAX_UNHEALTHY_PERCENT: "145" }, /REMEDIATION_MAX_UNHEALTHY_PERCENT/],
    [{ REMEDIATION_GRACE_SECONDS: "ten" }, /REMEDIATION_GRACE_SECONDS/],
    [{ REMEDIATION_MODE: "yolo" }, /REMEDIATION_MODE/],
    [{ DRY_RUN: "maybe" }, /DRY_RUN/],
    [{ ALERT_WEBHOOK_URL: "not a url" }, /ALERT_WEBHOOK_URL must be a URL/],
  ])("names the variable that is wrong: %j", (env, message) => {
    expect(() => loadConfig({ TENCENTCLOUD_REGION: "ap-guangzhou", ...env })).toThrow(message);
  });
});
