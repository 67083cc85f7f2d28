// On SCF the bundles reach Batch over HTTPS (batch.tencentcloudapi.com); everything else here is
// plain HTTP. A TLS front for the emulator (test/fixtures/tls, trusted through
// NODE_EXTRA_CA_CERTS in the child) proves the bundled transport over HTTPS: certificate and
// name checked, the TC3 signature (Host included) accepted, and one TLS handshake for many calls.
import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundle } from "../../scripts/bundle";
import { startTestEmulator, TEST_SECRET_ID, TEST_SECRET_KEY, type TestEmulator } from "../support/emulator";
import { SCF_NODE, scfNodeAvailable, scfNodeRequired } from "../support/scf-node";

const TLS = join(__dirname, "..", "fixtures", "tls");
const CERT = join(TLS, "localhost.crt");
const SHIM = join(__dirname, "..", "..", "scripts", "shims", "abstract-client.cjs");

let t: TestEmulator;
let front: Server;
let frontUrl: string;
let dir: string;
let handshakes = 0;

beforeAll(async () => {
  t = await startTestEmulator({ exec: false });
  dir = mkdtempSync(join(tmpdir(), "https-"));
  const built = await bundle(join(__dirname, "probe-entry.ts"), join(dir, "build", "index.js"));
  copyFileSync(built.file, join(dir, "index.js"));
  const emu = new URL(t.emu.url);
  // Terminates TLS and passes each request on unchanged (Host included: it is signed).
  front = createServer({ key: readFileSync(join(TLS, "localhost.key")), cert: readFileSync(CERT) }, (req, res) => {
    const up = httpRequest({ host: emu.hostname, port: emu.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  front.on("secureConnection", () => handshakes++);
  await new Promise<void>((r) => front.listen(0, "127.0.0.1", r));
  frontUrl = `https://localhost:${(front.address() as AddressInfo).port}`;
});
afterAll(async () => {
  front.closeAllConnections();
  await new Promise((r) => front.close(r));
  await t.stop();
  rmSync(dir, { recursive: true, force: true });
});

const node = (code: string, env: Record<string, string>, bin = process.execPath) =>
  promisify(execFile)(bin, ["-e", code], { cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH ?? "", ...env } });



describe("the bundled Batch client over HTTPS", () => {
  it("signs requests the emulator accepts through TLS, the certificate checked against the name", async () => {
    const { stdout } = await node(`require("./index.js").main_handler({action:"list"}).then(r=>process.stdout.write(JSON.stringify(r)))`, {
      NODE_EXTRA_CA_CERTS: CERT,
      BATCH_ENDPOINT: frontUrl,
      TENCENTCLOUD_REGION: "ap-guangzhou",
      TENCENTCLOUD_SECRETID: TEST_SECRET_ID,
      TENCENTCLOUD_SECRETKEY: TEST_SECRET_KEY,
    });
    expect(JSON.parse(stdout)).toMatchObject({ total: 0, items: [] });
  });

  it.skipIf(!scfNodeAvailable && !scfNodeRequired)("does the same on SCF's Node 18.15", async () => {
    const { stdout } = await node(
      `require("./index.js").main_handler({action:"list"}).then(r=>process.stdout.write(process.version+" "+JSON.stringify(r)))`,
      { NODE_EXTRA_CA_CERTS: CERT, BATCH_ENDPOINT: frontUrl, TENCENTCLOUD_REGION: "ap-guangzhou", TENCENTCLOUD_SECRETID: TEST_SECRET_ID, TENCENTCLOUD_SECRETKEY: TEST_SECRET_KEY },
      SCF_NODE,
    );
    expect(stdout).toMatch(/^v18\.15\.0 /);
    expect(JSON.parse(stdout.slice(stdout.indexOf(" ") + 1))).toMatchObject({ total: 0, items: [] });
  });

  it("keeps one TLS connection for consecutive calls", async () => {
    const before = handshakes;
    const code = `const {post}=require(${JSON.stringify(SHIM)});(async()=>{const out=[];for(let i=0;i<3;i++){const r=await post(${JSON.stringify(`${frontUrl}/`)},{headers:{"Content-Type":"application/json","X-TC-Action":"DescribeComputeEnvs","X-TC-Version":"2017-03-12"},body:"{}"});out.push(r.status)}process.stdout.write(JSON.stringify(out))})()`;
    const { stdout } = await node(code, { NODE_EXTRA_CA_CERTS: CERT });
    expect(JSON.parse(stdout)).toEqual([200, 200, 200]);
    expect(handshakes - before).toBe(1);
  });

  it("refuses a trusted certificate issued for another name (here for localhost, reached as 127.0.0.1)", async () => {
    const byIp = frontUrl.replace("localhost", "127.0.0.1");
    const code = `require(${JSON.stringify(SHIM)}).post(${JSON.stringify(`${byIp}/`)},{body:"{}"}).then(()=>process.stdout.write("accepted"),e=>process.stdout.write(e.message))`;
    const { stdout } = await node(code, { NODE_EXTRA_CA_CERTS: CERT });
    expect(stdout).toMatch(/failed, reason: Hostname\/IP does not match certificate's altnames/);
  });

  it("refuses a certificate it does not trust, and says so without the request's secrets", async () => {
    const code = `require(${JSON.stringify(SHIM)}).post(${JSON.stringify(`${frontUrl}/`)},{headers:{Authorization:"TC3-HMAC-SHA256 Credential=AKIDsecret"},body:"{}"}).then(()=>process.stdout.write("accepted"),e=>process.stdout.write(e.message))`;
    const { stdout } = await node(code, {});
    expect(stdout).toMatch(/^request to https:\/\/localhost:\d+\/ failed, reason: self[- ]signed certificate/);
    expect(stdout).not.toContain("AKIDsecret");
  });
});
