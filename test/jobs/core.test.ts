import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromEnv, makeHandler } from "../../functions/jobs/entry";

const handlerFromEnv = (env: NodeJS.ProcessEnv, logger: Logger) => makeHandler(fromEnv(env, logger));
import { clientTokenFor } from "../../shared/idempotency";
import { canonicalJson } from "../../shared/schemas/canonical-json";
import { findCycle } from "../../functions/jobs/validate";
import { fullLogLocation, jobView, listFilters } from "../../functions/jobs/views";
import { type Logger, memoryLogger } from "../../shared/log";
import apigwCaptured from "../fixtures/apigw-captured-style.json";

describe("ClientToken derivation", () => {
  it("is always ≤ 64 printable ASCII, deterministic, and differs across submitters (property)", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 64 }), fc.string({ minLength: 1, maxLength: 255 }), (who, key) => {
        const t = clientTokenFor(who, key);
        return t.length <= 64 && /^[\x20-\x7e]+$/.test(t) && t === clientTokenFor(who, key) && t !== clientTokenFor(`${who}x`, key);
      }),
    );
  });

  it("canonical JSON ignores key order (property)", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (o) => {
        const reversed = Object.fromEntries(Object.entries(o).reverse());
        return canonicalJson(o) === canonicalJson(reversed);
      }),
    );
  });
});

describe("findCycle", () => {
  it.each([
    [["a", "b", "c"], [["a", "b"], ["b", "c"]], undefined],
    [["a", "b"], [["a", "b"], ["b", "a"]], ["a", "b", "a"]],
    [["a", "b", "c", "d"], [["a", "b"], ["b", "c"], ["c", "d"], ["d", "b"]], ["b", "c", "d", "b"]],
    [["a"], [], undefined],
  ])("%j with %j", (names, edges, cycle) => {
    expect(findCycle(names, edges.map(([s, e]) => ({ StartTask: s!, EndTask: e! })))).toEqual(cycle);
  });

  it("finds a cycle exactly when no topological order exists (property)", () => {
    const names = ["t0", "t1", "t2", "t3", "t4", "t5"];
    const edge = fc.tuple(fc.constantFrom(...names), fc.constantFrom(...names)).filter(([a, b]) => a !== b);
    fc.assert(
      fc.property(fc.array(edge, { maxLength: 12 }), (pairs) => {
        const edges = pairs.map(([s, e]) => ({ StartTask: s, EndTask: e }));
        // Kahn's algorithm as the oracle.
        const indeg = new Map(names.map((n) => [n, 0]));
        for (const e of edges) indeg.set(e.EndTask, indeg.get(e.EndTask)! + 1);
        const queue = names.filter((n) => indeg.get(n) === 0);
        let seen = 0;
        while (queue.length) {
          const n = queue.shift()!;
          seen++;
          for (const e of edges.filter((x) => x.StartTask === n)) {
            indeg.set(e.EndTask, indeg.get(e.EndTask)! - 1);
            if (indeg.get(e.EndTask) === 0) queue.push(e.EndTask);
          }
        }
        const cycle = findCycle(names, edges);
        if (seen === names.length) return cycle === undefined;
        // The reported cycle is real: consecutive names are edges and it closes.
        return !!cycle && cycle[0] === cycle[cycle.length - 1] && cycle.slice(1).every((n, i) => edges.some((e) => e.StartTask === cycle[i] && e.EndTask === n));
      }),
    );
  });
});

describe("views", () => {
  it("expands the documented file-name placeholders under the redirect path", () => {
    const v = { jobId: "job-abcdefgh", taskName: "Task1", index: 3 };
    const ph = (s: string) => s.replaceAll("%", "$");
    expect(fullLogLocation("cos://b-1.cos.ap-guangzhou.myqcloud.com/logs/", ph("%{BATCH_TASK_NAME}/%{BATCH_JOB_ID}-%{BATCH_TASK_INSTANCE_INDEX}.log"), v)).toBe(
      "cos://b-1.cos.ap-guangzhou.myqcloud.com/logs/Task1/job-abcdefgh-3.log",
    );
    expect(fullLogLocation("cfs://10.0.0.1/out", "x.log", v)).toBe("cfs://10.0.0.1/out/x.log");
    expect(fullLogLocation(null, "x.log", v)).toBeNull();
  });

  it("turns the list query into DescribeJobs filters (AND across, OR within)", () => {
    expect(listFilters({ state: ["RUNNING", "FAILED", "RUNNING"], tag: ["team=render", "urgent"], submitter: "app", name: "n", zone: "ap-guangzhou-2" })).toEqual([
      { Name: "job-state", Values: ["RUNNING", "FAILED"] },
      { Name: "job-name", Values: ["n"] },
      { Name: "zone", Values: ["ap-guangzhou-2"] },
      { Name: "tag:submitter", Values: ["app"] },
      { Name: "tag:team", Values: ["render"] },
      { Name: "tag-key", Values: ["urgent"] },
    ]);
  });
});

describe("entry configuration", () => {
  const KEY = "entry-key-0123456789abcdef";
  const event = () => {
    const e = structuredClone(apigwCaptured) as Record<string, unknown> & { headers: Record<string, string> };
    e.headers.authorization = `Bearer ${KEY}`;
    e.path = "/openapi.json";
    return e;
  };

  it("a bad region stops the function naming the variable", () => {
    expect(() => handlerFromEnv({ TENCENTCLOUD_REGION: "guangzhou", API_KEYS: `a:${KEY}` }, memoryLogger())).toThrow(/TENCENTCLOUD_REGION/);
  });

  it("without API_KEYS every request is 503 auth_not_configured; with them it serves", async () => {
    const closed = handlerFromEnv({ TENCENTCLOUD_REGION: "ap-guangzhou" }, memoryLogger());
    const r = await closed(event());
    expect(r.statusCode).toBe(503);
    expect(JSON.parse(r.body).code).toBe("auth_not_configured");
    const open = handlerFromEnv({ TENCENTCLOUD_REGION: "ap-guangzhou", API_KEYS: `a:${KEY}` }, memoryLogger());
    expect((await open(event())).statusCode).toBe(200);
  });
});

describe("jobView", () => {
  const job = { JobId: "job-00000001", JobState: "RUNNING", DependenceSet: [], TaskSet: [{ TaskName: "big", TaskState: "RUNNING" }] } as never;
  const instances = (n: number) => Array.from({ length: n }, (_, i) => ({ TaskInstanceIndex: i, TaskInstanceState: "RUNNING" }));
  const task = (total: number, listed: number) =>
    new Map([["big", { TaskName: "big", TaskState: "RUNNING", TaskInstanceTotalCount: total, TaskInstanceSet: instances(listed) } as never]]);

  it("says when a task has more instances than one DescribeTask lists, instead of cutting silently", () => {
    const cut = jobView(job, task(1500, 1000), "ap-guangzhou").Tasks[0]!;
    expect(cut).toMatchObject({ TaskInstanceTotalCount: 1500, InstancesTruncated: true });
    expect(cut.Instances).toHaveLength(1000);
    expect(jobView(job, task(1000, 1000), "ap-guangzhou").Tasks[0]).not.toHaveProperty("InstancesTruncated");
  });
});
