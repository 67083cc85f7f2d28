// The baseline of bench/submit.bench.ts: the bare SubmitJob the jobs function makes, through the
// SDK's batch client bundled with the same shims as the functions (scripts/bundle.ts), so both
// paths use the same SDK code and the same HTTP transport. Endpoint and credentials from the env.
import { Client } from "tencentcloud-sdk-nodejs/tencentcloud/services/batch/v20170312/batch_client";

let client: Client | undefined;

export const submit = (request: unknown) => {
  client ??= new Client({
    credential: { secretId: process.env.TENCENTCLOUD_SECRETID, secretKey: process.env.TENCENTCLOUD_SECRETKEY },
    region: process.env.TENCENTCLOUD_REGION ?? "ap-guangzhou",
    profile: { httpProfile: { endpoint: process.env.BENCH_BATCH_HOST, protocol: "http://", reqTimeout: 5 } },
  });
  return client.SubmitJob(request as never);
};
