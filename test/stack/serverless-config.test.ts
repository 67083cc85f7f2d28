// The deploy file is the local stack's wiring: a broken serverless.yml must fail `npm test`.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { nextFireAt, SCF_CRON_UTC_OFFSET_HOURS } from "../../local/stack/cron";
import { loadServerlessConfig, parseServerlessConfig, ServerlessConfigError } from "../../local/stack/serverless-config";
import { buildFunction, FUNCTIONS, ROOT } from "../../scripts/bundle";

const FILE = join(ROOT, "serverless.yml");
const TEXT = readFileSync(FILE, "utf8");
const ENV = { API_KEYS: "ci:0123456789abcdef0123:jobs:read" };
const config = loadServerlessConfig(FILE, ENV);
const fn = (name: string) => {
  const f = config.functions.find((x) => x.name === name);
  if (!f) throw new Error(`no function ${name}`);
  return f;
};

/** Parses a variant of the real file with one change; returns the error. */
function brokenBy(edit: (text: string) => string, env: NodeJS.ProcessEnv = ENV): ServerlessConfigError {
  const changed = edit(TEXT);
  expect(changed).not.toBe(TEXT);
  try {
    parseServerlessConfig(changed, { file: FILE, env });
  } catch (e) {
    expect(e).toBeInstanceOf(ServerlessConfigError);
    return e as ServerlessConfigError;
  }
  throw new Error("the broken file was accepted");
}
const lineOf = (needle: string) => TEXT.split("\n").findIndex((l) => l.includes(needle)) + 1;

describe("serverless.yml", () => {
  it("declares exactly the functions the build bundles, each with the SCF handler and a Node 18 runtime", () => {
    expect(config.service).toBe("batch-scf");
    expect(config.region).toBe("ap-guangzhou");
    expect(config.functions.map((f) => f.name).sort()).toEqual([...FUNCTIONS].sort());
    for (const f of config.functions) {
      expect(f.handler).toBe("index.main_handler");
      expect(f.handlerExport).toBe("main_handler");
      expect(f.runtime).toBe("Nodejs18.15");
      expect(f.artifact).toBe(join(ROOT, "dist", `${f.name}.zip`));
      expect(f.entryFile).toBe(join(ROOT, "dist", f.name, "index.js"));
      expect(f.timeout).toBeGreaterThanOrEqual(1);
      expect(f.timeout).toBeLessThanOrEqual(900);
      expect(f.environment.BATCH_ENDPOINT).toBeUndefined(); // production talks to batch.tencentcloudapi.com
    }
  });

  const outDir = mkdtempSync(join(tmpdir(), "sls-build-"));
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));
  it("names artifacts and handler files that the build really writes", async () => {
    for (const f of config.functions) {
      await buildFunction(f.name as (typeof FUNCTIONS)[number], outDir);
      expect(existsSync(join(outDir, relative(join(ROOT, "dist"), f.artifact)))).toBe(true);
      expect(existsSync(join(outDir, relative(join(ROOT, "dist"), f.entryFile)))).toBe(true);
    }
  }, 30_000);

  it("gives jobs, envs, cost-report and autoscale a Function URL (their routes are in code), and node-abnormal and job-notify one for their topics' pushes", () => {
    expect(config.functions.map((f) => [f.name, f.url])).toEqual([
      ["jobs", true],
      ["envs", true],
      ["node-abnormal", true],
      ["cost-report", true],
      ["autoscale", true],
      ["job-notify", true],
    ]);
    // autoscale: its route, and a timer every minute.
    expect(fn("autoscale").triggers.map((t) => t.kind)).toEqual(["timer"]);
    // No trigger for the HTTP functions: a Function URL is no event.
    expect(fn("jobs").triggers).toEqual([]);
    expect(fn("envs").triggers).toEqual([]);
    expect(fn("cost-report").triggers.map((t) => t.kind)).toEqual(["timer"]);
    expect(TEXT).not.toMatch(/^\s*- apigw:/m);
    expect(TEXT).not.toMatch(/^plugins:/m);
  });

  it("reads what the deploy needs: namespace, role, description", () => {
    expect(config.namespace).toBe("default");
    expect(config.stage).toBe("prod");
    for (const f of config.functions) {
      expect(f.role).toBe("SCF_BatchRole"); // provider.role
      expect(f.description.length).toBeGreaterThan(0);
      expect(f.scfName).toBe(`batch-scf-prod-${f.name}`);
    }
    const own = parseServerlessConfig(TEXT.replace("  role: SCF_BatchRole", "  role: SCF_BatchRole\n  namespace: batch").replace("    handler: index.main_handler\n    description: HTTP API to submit", "    handler: index.main_handler\n    role: JobsRole\n    description: HTTP API to submit"), { file: FILE, env: ENV });
    expect(own.namespace).toBe("batch");
    expect(own.functions.find((f) => f.name === "jobs")).toMatchObject({ role: "JobsRole" });
    expect(own.functions.find((f) => f.name === "envs")).toMatchObject({ role: "SCF_BatchRole" });
  });

  it("accepts url as an empty object, a cmq event without url (it implies one), any plugins, no description", () => {
    const variant = parseServerlessConfig(
      `${TEXT.replace("    url: true\n    environment:\n      variables:\n        # name:key", "    url: {}\n    environment:\n      variables:\n        # name:key").replace("    description: HTTP API to submit and follow Batch jobs\n", "")}\nplugins:\n  - something-else\n`,
      { file: FILE, env: ENV },
    );
    expect(variant.functions.find((f) => f.name === "jobs")).toMatchObject({ url: true, description: "" });
    const noUrl = parseServerlessConfig(TEXT.replace("    # Serves GET /costs besides its daily timer.\n    url: true\n", ""), { file: FILE, env: ENV });
    expect(noUrl.functions.find((f) => f.name === "cost-report")?.url).toBe(false);
    expect(noUrl.functions.find((f) => f.name === "node-abnormal")?.url).toBe(true);
  });

  it("subscribes node-abnormal to the batch-node-events topic, with a sweep every 5 minutes", () => {
    expect(fn("node-abnormal").triggers).toEqual([
      expect.objectContaining({ kind: "cmq", name: "batch-node-events", topic: "batch-node-events", enabled: true }),
      expect.objectContaining({ kind: "timer", name: "abnormal-sweep", cronExpression: "0 */5 * * * * *", enabled: true }),
    ]);
  });

  it("runs cost-report daily at 01:00 Asia/Shanghai on SCF's cron clock (UTC+8)", () => {
    const t = fn("cost-report").triggers.find((x) => x.kind === "timer");
    if (t?.kind !== "timer") throw new Error("cost-report has no timer");
    expect(t.cronExpression).toBe("0 0 1 * * * *");
    expect(t.enabled).toBe(true);
    expect(t.message).toBe("");
    const next = nextFireAt(t.cron, new Date("2024-06-30T18:00:00Z"), SCF_CRON_UTC_OFFSET_HOURS)!;
    expect(next.toISOString()).toBe("2024-07-01T17:00:00.000Z");
    expect(new Intl.DateTimeFormat("en-GB", { timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit" }).format(next)).toBe("01:00");
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: serverless.yml variable syntax, not a template
  it("resolves ${env:…} like Serverless v3: set values, quoted fallbacks (even with braces)", () => {
    expect(fn("jobs").environment.API_KEYS).toBe(ENV.API_KEYS);
    expect(fn("envs").environment.ENV_POLICY).toBe("{}");
    const custom = loadServerlessConfig(FILE, { ...ENV, ENV_POLICY: '{"default":{"maxNodes":5}}', DRY_RUN: "true" });
    expect(custom.functions.find((f) => f.name === "node-abnormal")?.environment).toMatchObject({ ENV_POLICY: '{"default":{"maxNodes":5}}', DRY_RUN: "true" });
    expect(fn("cost-report").environment.COST_REPORT_DEST).toMatch(/^cos:\/\/[a-z0-9-]+-\d+\.cos\.ap-guangzhou\.myqcloud\.com\/.+\/$/);
  });

  it.each([
    ["an invalid cron (hour 24)", (t: string) => t.replace('"0 0 1 * * * *"', '"0 0 24 * * * *"'), lineOf('cronExpression: "0 0 1 '), /cronExpression: invalid cron "0 0 24 \* \* \* \*": hour field "24": 24 is out of range 0-23/],
    ["a 5-field cron", (t: string) => t.replace('"0 0 1 * * * *"', '"0 1 * * *"'), lineOf('cronExpression: "0 0 1 '), /expected 7 fields/],
    ["a cron that never fires (31 FEB)", (t: string) => t.replace('"0 0 1 * * * *"', '"0 0 0 31 2 ? *"'), lineOf('cronExpression: "0 0 1 '), /cronExpression: invalid cron "0 0 0 31 2 \? \*": never fires/],
    ["L where cron has no L", (t: string) => t.replace('"0 0 1 * * * *"', '"0 0 L * * ? *"'), lineOf('cronExpression: "0 0 1 '), /hour field "L": .*only allowed in the day and weekday fields/],
    ["a description SCF refuses (only letters, digits, spaces, commas, full stops)", (t: string) => t.replace("description: HTTP API to submit and follow Batch jobs", "description: HTTP API (jobs_v2)"), lineOf("description: HTTP API to submit"), /functions\.jobs\.description: letters, digits, spaces, commas, full stops and newlines \(SCF's rule\)/],
    ["a handler without an export", (t: string) => t.replace("handler: index.main_handler", "handler: index"), lineOf("handler: index.main_handler"), /functions\.jobs\.handler: a handler looks like index\.main_handler/],
    ["a missing artifact", (t: string) => t.replace("artifact: dist/envs.zip", "artifact: dist/envs"), lineOf("artifact: dist/envs.zip"), /functions\.envs\.package\.artifact: the artifact is the built zip/],
    [
      "an apigw event (SCF creates none any more)",
      (t: string) => t.replace("    url: true\n    environment:\n      variables:\n        API_KEYS", "    url: true\n    events:\n      - apigw:\n          name: envs_list\n          parameters: { stageName: release, httpMethod: GET, path: /envs }\n    environment:\n      variables:\n        API_KEYS"),
      lineOf("artifact: dist/envs.zip") + 5,
      /functions\.envs\.events\[0\]\.apigw: API Gateway triggers can no longer be created \(SCF: none new since 2024-07-01\): give the function `url: true`, its routes are in code/,
    ],
    ["url that is neither true nor an object", (t: string) => t.replace("artifact: dist/envs.zip\n    # Serves /envs…, /openapi/envs.json (routes in functions/envs/routes.ts).\n    url: true", "artifact: dist/envs.zip\n    # Serves /envs…, /openapi/envs.json (routes in functions/envs/routes.ts).\n    url: yes-please"), lineOf("artifact: dist/envs.zip") + 2, /functions\.envs\.url: url is true \(the function gets a Function URL\) or an empty object/],
    ["a namespace SCF would refuse", (t: string) => t.replace("  role: SCF_BatchRole", "  role: SCF_BatchRole\n  namespace: no spaces allowed"), lineOf("role: SCF_BatchRole") + 1, /provider\.namespace: an SCF namespace/],
    ["an unknown trigger type", (t: string) => t.replace("- cmq:", "- ckafka:"), lineOf("- cmq:"), /functions\.node-abnormal\.events\[0\]: Unrecognized key\(s\) in object: 'ckafka'/],
    ["a cmq event without a topic", (t: string) => t.replace("            name: batch-node-events\n            enable: true", "            enable: true"), lineOf("- cmq:") + 3, /functions\.node-abnormal\.events\[0\]\.cmq\.parameters\.name: Required/],
    ["an unknown runtime", (t: string) => t.replace("runtime: Nodejs18.15", "runtime: Nodejs20.x"), lineOf("runtime: Nodejs18.15"), /provider\.runtime: Invalid enum value/],
    ["a timeout over 900 s", (t: string) => t.replace("timeout: 900", "timeout: 901"), lineOf("timeout: 900"), /functions\.cost-report\.timeout: SCF timeout is 1\.\.900 s/],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: serverless.yml variable syntax, not a template
    ["a variable source the stack cannot resolve", (t: string) => t.replace("${env:DRY_RUN, 'false'}", "${self:custom.dryRun}"), lineOf("DRY_RUN:"), /cannot resolve \$\{self:custom\.dryRun\}/],
  ])("fails on %s, naming the line and the reason", (_what, edit, line, reason) => {
    const e = brokenBy(edit);
    expect(e.message).toMatch(reason);
    expect(e.line).toBe(line);
    expect(e.message).toMatch(new RegExp(`^serverless\\.yml:${line}: `));
  });

  it("fails when API_KEYS is not set (no fallback: deploying without keys is refused)", () => {
    const e = brokenBy((t) => `${t}\n`, {});
    expect(e.message).toMatch(/functions\.jobs\.environment\.variables\.API_KEYS: environment variable API_KEYS is not set/);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: serverless.yml variable syntax, not a template
    expect(e.line).toBe(lineOf("API_KEYS: ${env:API_KEYS}"));
  });

  it("fails on YAML that does not parse, with the line", () => {
    const e = brokenBy((t) => t.replace("  jobs:\n    handler", "  jobs:\n   handler"));
    expect(e.message).toMatch(/^serverless\.yml:\d+: invalid YAML/);
  });
});
