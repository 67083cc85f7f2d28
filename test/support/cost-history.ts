// An emulator state with cost history, shared by the cost-report end-to-end test and the
// local stack's: on the local day before `now` (Asia/Shanghai), two BS1.LARGE8 nodes alive all
// day plus one that lived 6 h and exists only as activities, a BS1.LARGE48 node that lived 10 h,
// and alice's job busy 10 h on one node. Expected: 216 + 240 core-hours = 41.04 CNY; alice 3.60.
import type { ActivityRecord, EmulatorState, EnvRecord, JobRecord, NodeRecord } from "../../local/emulator/state";
import { defaultWindow, localDate, type ReportWindow } from "../../functions/cost-report/window";

export const TZ = "Asia/Shanghai";
const H = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

export function costHistory(now: number): { state: EmulatorState; day: ReportWindow; date: string } {
  const day = defaultWindow(now, TZ);
  const date = localDate(day.from, TZ);
  function node(id: string, cpu: number, mem: number, type: string, createdAt: number, state: NodeRecord["state"] = "RUNNING"): NodeRecord {
    return { id, instanceId: `ins-${id.slice(5)}`, state, stateSince: createdAt, createdAt, cpu, memGiB: mem, instanceType: type, privateIp: "10.0.0.2", recreateCount: 0 };
  }

  function envRecord(id: string, name: string, type: string, nodes: NodeRecord[]): EnvRecord {
    return {
      id,
      name,
      description: "",
      zone: "ap-guangzhou-2",
      region: "ap-guangzhou",
      envType: "MANAGED",
      createdAt: day.from - 30 * 24 * H,
      desired: nodes.length,
      instanceType: type,
      createRequest: { ComputeEnv: { EnvName: name, EnvData: { InstanceType: type, ImageId: "img-31tjrtph" }, DesiredComputeNodeCount: nodes.length } },
      notifications: [],
      tags: [{ Key: "team", Value: "render" }],
      actionIfInactive: "RECREATE",
      resourceMaxRetryCount: 0,
      nodes,
      deleting: false,
      failCreations: 0,
    };
  }

  function activity(envId: string, nodeId: string, type: "CREATE" | "DESTROY", start: number, end: number, cause = "Desired compute node count not met"): ActivityRecord {
    return {
      ActivityId: `activity-${type[0]}${nodeId.slice(5)}`,
      ComputeNodeId: nodeId,
      ComputeNodeActivityType: type,
      EnvId: envId,
      Cause: cause,
      ActivityState: "SUCCEED",
      StateReason: "",
      StartTime: iso(start),
      EndTime: iso(end),
      InstanceId: `ins-${nodeId.slice(5)}`,
    };
  }

  function finishedJob(id: string, submitter: string, nodeId: string, start: number, end: number): JobRecord {
    return {
      id,
      name: `render-${submitter}`,
      description: "",
      zone: "ap-guangzhou-2",
      region: "ap-guangzhou",
      priority: 1,
      state: "SUCCEED",
      stateReason: "",
      createdAt: start - 60_000,
      endAt: end,
      tasks: [
        {
          name: "t1",
          state: "SUCCEED",
          createdAt: start - 60_000,
          endAt: end,
          spec: { TaskName: "t1", TaskInstanceNum: 1, EnvId: "env-cost0001", Application: { DeliveryForm: "LOCAL", Command: "true" } },
          instances: [
            {
              index: 0,
              state: "SUCCEED",
              exitCode: 0,
              stateReason: "",
              nodeId,
              nodeInstanceId: `ins-${nodeId.slice(5)}`,
              createdAt: start - 60_000,
              launchAt: start - 1000,
              runningAt: start,
              endAt: end,
              attempts: 1,
              stdoutTail: "",
              stderrTail: "",
              stdoutRedirect: null,
              stderrRedirect: null,
            },
          ],
        },
      ],
      dependences: [],
      taskExecutionDependOn: "PRE_TASK_SUCCEED",
      notifications: [],
      tags: [{ Key: "submitter", Value: submitter }],
      submitted: { JobName: `render-${submitter}` },
      terminating: false,
    };
  }

  const before = day.from - 48 * H;
  const state: EmulatorState = {
    version: 1,
    envs: [
      // Two LARGE8 nodes alive all day, plus one destroyed after 6 h (only activities remain).
      envRecord("env-cost0001", "render-farm", "BS1.LARGE8", [node("node-cost0001", 4, 8, "BS1.LARGE8", before), node("node-cost0002", 4, 8, "BS1.LARGE8", before)]),
      // A LARGE48 env whose only node lived 10 h yesterday and is gone.
      envRecord("env-cost0002", "big-mem", "BS1.LARGE48", []),
    ],
    jobs: [finishedJob("job-cost0001", "alice", "node-cost0001", day.from + 2 * H, day.from + 12 * H)],
    activities: [
      activity("env-cost0001", "node-cost0001", "CREATE", before - 60_000, before),
      activity("env-cost0001", "node-cost0002", "CREATE", before - 60_000, before),
      activity("env-cost0001", "node-cost0003", "CREATE", day.from + 9 * H - 60_000, day.from + 9 * H),
      activity("env-cost0001", "node-cost0003", "DESTROY", day.from + 15 * H - 30_000, day.from + 15 * H, "scale down"),
      activity("env-cost0002", "node-cost0004", "CREATE", day.from + 4 * H - 60_000, day.from + 4 * H),
      activity("env-cost0002", "node-cost0004", "DESTROY", day.from + 14 * H - 30_000, day.from + 14 * H, "scale down"),
    ],
    tokens: [],
  };
  return { state, day, date };
}
