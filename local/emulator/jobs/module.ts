// Jobs: SubmitJob … DescribeTaskLogs, the scheduler (DAG, priorities, retries, timeouts) and
// the runner that executes task commands as local processes.
//
// Behaviour choices where the docs are silent:
// - States: a job is SUBMITTED when accepted, PENDING on the next tick, then RUNNABLE, STARTING,
//   RUNNING as its instances get there; job and task states never move backwards until RetryJobs.
//   An instance is STARTING while it waits for its node (anonymous envs: `anonymousNodeMs`; named
//   envs: one tick after a node was reserved) and RUNNING while its command runs.
// - A task that fails (all retries spent) does not stop independent tasks; tasks depending on it
//   fail as soon as their TaskExecutionDependOn can no longer be met. The job ends when every
//   task has ended: SUCCEED if all succeeded, FAILED_INTERRUPTED if an instance was kept, else FAILED.
// - FailedAction INTERRUPT and FAST_INTERRUPT keep a failed instance (and its node) as
//   FAILED_INTERRUPTED until TerminateJob; TERMINATE (default) ends it as FAILED.
// - MaxRetryCount re-runs a failed instance (command failure, timeout, lost node) up to that many
//   times; only the final outcome sends a TASK_INSTANCE_FAILED event.
// - Redirected output without a file name goes to `${BATCH_JOB_ID}/${BATCH_TASK_NAME}/
//   ${BATCH_TASK_INSTANCE_INDEX}/stdout.log` (stderr.log) under the given path; each attempt
//   overwrites the file. `Commands` (tightly coupled tasks) run one after the other (`&&`) on one node.
// - PACKAGE delivery, Docker, Input/OutputMappings are validated but not emulated: the command
//   runs in a per-instance work dir `<dataDir>/work/<jobId>/<taskName>/<index>`.
// - The task's environment is the emulator's own minus TENCENTCLOUD_SECRETID/SECRETKEY/
//   SESSIONTOKEN, plus BATCH_* and the task's EnvVars.
// - Secrets in the request (Authentications[].SecretKey, Docker/Login passwords) are stored and
//   echoed back by DescribeJobSubmitInfo as "******".
// - Instances of anonymous (per-task MANAGED) envs get one temporary node each; it sends
//   COMPUTE_NODE_CREATED/RUNNING/DELETING to the job's Notifications.
import type { EmulatorModule } from "../context";
import { writeActions } from "./actions";
import { readActions } from "./reads";
import { closeRunner, recover, tick } from "./scheduler";
import { jobTestRoutes } from "./test-routes";

export const jobModule: EmulatorModule = {
  actions: { ...writeActions, ...readActions },
  tick,
  recover,
  testRoutes: jobTestRoutes,
  close: closeRunner,
};
