// Jobs: SubmitJob … DescribeTaskLogs, the scheduler (DAG, retries, timeouts) and the runner.
import type { EmulatorModule } from "./context";

export const jobModule: EmulatorModule = {
  actions: {},
};
