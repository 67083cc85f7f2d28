import { describe, expect, it } from "vitest";
import { checkWebhookUrl, isPublicAddress, resolveWebhookHost } from "../../shared/webhooks/destination";

const rule = (raw: string, policy = {}) => {
  const v = checkWebhookUrl(raw, policy);
  return v.ok ? "ok" : v.rule;
};

describe("webhook destinations: the URL's own rules", () => {
  it("takes https to a public host", () => {
    expect(rule("https://hooks.example.com/batch?team=vfx")).toBe("ok");
    expect(rule("https://203.0.114.7:8443/x")).toBe("ok");
  });

  it("refuses plain http, other schemes, credentials and fragments", () => {
    expect(rule("http://hooks.example.com/")).toMatch(/must use https/);
    expect(rule("ftp://hooks.example.com/")).toMatch(/must use https/);
    expect(rule("https://user:pw@hooks.example.com/")).toMatch(/credentials/);
    expect(rule("https://hooks.example.com/#x")).toMatch(/fragment/);
    expect(rule("hooks.example.com/x")).toMatch(/absolute URL/);
  });

  it("refuses literal addresses that are not public, in every spelling the URL parser accepts", () => {
    for (const raw of [
      "https://127.0.0.1/",
      "https://2130706433/", // 127.0.0.1 in decimal
      "https://0x7f.1/",
      "https://10.1.2.3/",
      "https://172.20.0.1/",
      "https://192.168.1.1/",
      "https://169.254.0.23/", // Tencent's metadata service
      "https://169.254.169.254/",
      "https://100.64.0.1/",
      "https://0.0.0.0/",
      "https://[::1]/",
      "https://[::ffff:10.0.0.1]/",
      "https://[fd00::1]/",
      "https://[fe80::1]/",
    ])
      expect(rule(raw), raw).toMatch(/not a public address/);
  });

  it("lets http reach loopback only when the local stack allows it", () => {
    expect(rule("http://127.0.0.1:4555/hook", { allowLoopbackHttp: true })).toBe("ok");
    expect(rule("http://localhost:4555/hook", { allowLoopbackHttp: true })).toBe("ok");
    expect(rule("http://10.0.0.1/hook", { allowLoopbackHttp: true })).toMatch(/must use https/);
    expect(rule("http://127.0.0.1:4555/hook")).toMatch(/must use https/);
  });

  it("applies the host allow-list, with *.suffix patterns", () => {
    const allowHosts = ["hooks.example.com", "*.apps.example.org"];
    expect(rule("https://hooks.example.com/", { allowHosts })).toBe("ok");
    expect(rule("https://render.apps.example.org/", { allowHosts })).toBe("ok");
    expect(rule("https://apps.example.org/", { allowHosts })).toMatch(/not in the allowed/);
    expect(rule("https://evil-example.com/", { allowHosts })).toMatch(/not in the allowed/);
  });
});

describe("webhook destinations: after DNS", () => {
  const lookupOf = (answers: Record<string, Array<{ address: string; family: number }>>) => async (host: string) => {
    const a = answers[host];
    if (!a) throw Object.assign(new Error("not found"), { code: "ENOTFOUND" });
    return a;
  };

  it("refuses a host when any of its addresses is not public (a name can mix them)", async () => {
    const lookup = lookupOf({
      "mixed.example.com": [
        { address: "203.0.114.7", family: 4 },
        { address: "10.0.0.5", family: 4 },
      ],
      "meta.example.com": [{ address: "169.254.0.23", family: 4 }],
      "v6.example.com": [{ address: "::ffff:7f00:1", family: 6 }],
      "ok.example.com": [{ address: "203.0.114.7", family: 4 }],
    });
    const resolve = (u: string) => resolveWebhookHost(new URL(u), {}, lookup);
    expect(await resolve("https://mixed.example.com/")).toMatchObject({ ok: false, rule: expect.stringMatching(/10\.0\.0\.5/) });
    expect(await resolve("https://meta.example.com/")).toMatchObject({ ok: false });
    expect(await resolve("https://v6.example.com/")).toMatchObject({ ok: false });
    expect(await resolve("https://missing.example.com/")).toMatchObject({ ok: false, rule: expect.stringMatching(/ENOTFOUND/) });
    expect(await resolve("https://ok.example.com/")).toEqual({ ok: true, address: "203.0.114.7", family: 4 });
  });

  it("classifies addresses", () => {
    expect(isPublicAddress("8.8.8.8")).toBe(true);
    expect(isPublicAddress("2606:4700:4700::1111")).toBe(true);
    expect(isPublicAddress("64:ff9b::10.0.0.1")).toBe(false);
    expect(isPublicAddress("224.0.0.1")).toBe(false);
    expect(isPublicAddress("255.255.255.255")).toBe(false);
    expect(isPublicAddress("not-an-ip")).toBe(false);
  });
});
