// The baseline a team would write first: the SDK's batch client bundled as is (polyfills and all).
import { Client } from "tencentcloud-sdk-nodejs/tencentcloud/services/batch/v20170312/batch_client";

export const main_handler = async () =>
  new Client({ credential: { secretId: "x", secretKey: "y" }, region: "ap-guangzhou" }).DescribeComputeEnvs({});
