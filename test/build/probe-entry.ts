// A minimal function over the Batch port, bundled like the real ones, to prove the shimmed
// SDK works with no node_modules.
import { credentialsFromEnv } from "../../shared/batch/config";
import { createTencentBatch } from "../../shared/batch/tencent-adapter";

export const main_handler = async (event: { action: string }) => {
  const batch = createTencentBatch({
    region: process.env.TENCENTCLOUD_REGION ?? "ap-guangzhou",
    endpoint: process.env.BATCH_ENDPOINT,
    credentials: () => credentialsFromEnv(process.env),
    retry: { maxAttempts: 2, baseMs: 1, capMs: 1 },
  });
  if (event.action === "list") return batch.listEnvs({ limit: 100 });
  return batch.getJob("job-00000000").catch((e: { code: string; tencentCode?: string; requestId?: string; status: number }) => ({
    code: e.code,
    tencentCode: e.tencentCode,
    requestId: e.requestId,
    status: e.status,
  }));
};
