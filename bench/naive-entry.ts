// A stricter baseline: only the SDK's batch client, bundled as is (node-fetch and its polyfills).
import { Client } from "tencentcloud-sdk-nodejs/tencentcloud/services/batch/v20170312/batch_client";

export const main_handler = async () =>
  new Client({
    credential: { secretId: process.env.TENCENTCLOUD_SECRETID, secretKey: process.env.TENCENTCLOUD_SECRETKEY },
    region: "ap-guangzhou",
    profile: { httpProfile: { endpoint: process.env.BENCH_BATCH_HOST, protocol: "http://" } },
  }).DescribeComputeEnvs({});
