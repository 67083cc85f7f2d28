// Compute environments: CreateComputeEnv … DescribeComputeEnvActivities, node lifecycle,
// Batch's own RECREATE of inactive nodes, and test routes to break nodes.
import type { EmulatorModule } from "./context";

export const envModule: EmulatorModule = {
  actions: {
    DescribeComputeEnvs: (ctx) => ({ ComputeEnvSet: [], TotalCount: ctx.store.envs.size }),
  },
};
