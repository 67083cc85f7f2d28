// The naive baseline: the SDK used as its README shows (the package root), bundled as is.
import * as tencentcloud from "tencentcloud-sdk-nodejs";

export const main_handler = async () =>
  new tencentcloud.batch.v20170312.Client({
    credential: { secretId: process.env.TENCENTCLOUD_SECRETID, secretKey: process.env.TENCENTCLOUD_SECRETKEY },
    region: "ap-guangzhou",
    profile: { httpProfile: { endpoint: process.env.BENCH_BATCH_HOST, protocol: "http://" } },
  }).DescribeComputeEnvs({});
