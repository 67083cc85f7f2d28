// The floor of a cold start: what any function that makes one Batch call must do, and nothing
// else. Node's `http` and `crypto`, one TC3-signed POST (signed by the emulator's own signer,
// local/emulator/tc3.ts), the JSON answer parsed. No SDK, no schemas, no routing, no config. No
// function can start faster than this on the same first call; bench/bundles.bench.ts prints
// how far each function's cold start is above it, and what the ratio target would need.
import { request } from "node:http";
import { signTc3 } from "../local/emulator/tc3";

export const main_handler = () =>
  new Promise<{ TotalCount?: number }>((resolve, reject) => {
    const host = process.env.BENCH_BATCH_HOST ?? "";
    const body = "{}";
    const timestamp = Math.floor(Date.now() / 1000);
    const authorization = signTc3({ secretId: process.env.TENCENTCLOUD_SECRETID ?? "", secretKey: process.env.TENCENTCLOUD_SECRETKEY ?? "", host, body, timestamp });
    const [hostname, port] = host.split(":");
    const req = request(
      {
        hostname,
        port,
        method: "POST",
        path: "/",
        headers: {
          authorization,
          "content-type": "application/json",
          host,
          "x-tc-action": "DescribeComputeEnvs",
          "x-tc-version": "2017-03-12",
          "x-tc-region": "ap-guangzhou",
          "x-tc-timestamp": String(timestamp),
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          text += c;
        });
        res.on("end", () => {
          try {
            resolve((JSON.parse(text) as { Response: { TotalCount?: number } }).Response);
          } catch (e) {
            reject(e);
          }
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
