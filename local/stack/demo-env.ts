// The demo compute environment the stack creates on start (idempotently, by ClientToken):
// BS1.LARGE8 nodes in ap-guangzhou-2 whose node events go to the topic node-abnormal listens on.
import { randomBytes } from "node:crypto";
import type { BatchPort } from "../../shared/batch/port";
import { isAppError } from "../../shared/errors";
import { readStackState, writeStackState } from "./local-state";

export const DEMO_ENV_NAME = "local-demo";
export const DEMO_ZONE = "ap-guangzhou-2";
export const DEMO_INSTANCE_TYPE = "BS1.LARGE8";
export const DEMO_EVENTS = ["COMPUTE_NODE_ABNORMAL", "COMPUTE_NODE_CREATION_FAILED"] as const;

export interface DemoEnvOptions {
  port: BatchPort;
  dataDir: string;
  topic: string | undefined;
  nodes: number;
}

/** Creates the demo env, or finds it again after a restart; returns its id. */
export async function ensureDemoEnv(opts: DemoEnvOptions): Promise<{ envId: string }> {
  const state = readStackState(opts.dataDir);
  for (let attempt = 0; attempt < 2; attempt++) {
    const token = state.demoEnvToken ?? `batch-scf-local-demo-${randomBytes(8).toString("hex")}`;
    if (!state.demoEnvToken) {
      state.demoEnvToken = token;
      writeStackState(opts.dataDir, state);
    }
    let envId: string;
    try {
      ({ envId } = await opts.port.createEnv(createRequest(opts, token)));
    } catch (e) {
      // The token was used with another request (DEMO_ENV_NODES or the topic changed since):
      // reuse the env by name and set its node count; create afresh only if it is gone.
      if (!isTokenRefusal(e)) throw e;
      const found = await findDemoEnv(opts.port);
      if (found) {
        await opts.port.setDesiredNodes(found, opts.nodes);
        return { envId: found };
      }
      state.demoEnvToken = undefined;
      writeStackState(opts.dataDir, state);
      continue;
    }
    try {
      await opts.port.getEnv(envId);
      return { envId };
    } catch (e) {
      // The token names an env that was deleted since: start over with a new token.
      if (!(isAppError(e) && e.status === 404)) throw e;
      state.demoEnvToken = undefined;
    }
  }
  throw new Error("could not create the demo compute environment");
}

function createRequest(opts: DemoEnvOptions, token: string): Parameters<BatchPort["createEnv"]>[0] {
  return {
    ClientToken: token,
    Placement: { Zone: DEMO_ZONE },
    ComputeEnv: {
      EnvName: DEMO_ENV_NAME,
      EnvDescription: "created by npm start (local stack demo)",
      EnvType: "MANAGED",
      DesiredComputeNodeCount: opts.nodes,
      EnvData: { InstanceType: DEMO_INSTANCE_TYPE, ImageId: "img-31tjrtph" },
      ...(opts.topic
        ? { Notifications: [{ TopicName: opts.topic, EventConfigs: DEMO_EVENTS.map((EventName) => ({ EventName, EventVars: [] })) }] }
        : {}),
    },
  } as Parameters<BatchPort["createEnv"]>[0];
}

/** Batch refuses a ClientToken reused with a different request as InvalidParameter naming ClientToken. */
function isTokenRefusal(e: unknown): boolean {
  return isAppError(e) && e.code === "batch.InvalidParameter" && e.message.includes("ClientToken");
}

/** The id of the env named DEMO_ENV_NAME, if there is one. */
async function findDemoEnv(port: BatchPort): Promise<string | undefined> {
  const page = await port.listEnvs({ filters: [{ Name: "env-name", Values: [DEMO_ENV_NAME] }], limit: 100 });
  return page.items.find((e) => e.EnvName === DEMO_ENV_NAME)?.EnvId;
}

export interface NodeProgress {
  desired: number;
  running: number;
  byState: Record<string, number>;
}

export async function nodeProgress(port: BatchPort, envId: string): Promise<NodeProgress> {
  const env = await port.getEnv(envId);
  const byState: Record<string, number> = {};
  for (const n of env.ComputeNodeSet) byState[n.ComputeNodeState] = (byState[n.ComputeNodeState] ?? 0) + 1;
  return { desired: env.DesiredComputeNodeCount, running: byState.RUNNING ?? 0, byState };
}
