// job-notify's pure core: which events are job events it can read, what a job asked for, and the
// body and webhook-id of a delivery.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jobEventOf, occurrenceOf, planDelivery } from "../../functions/job-notify/plan";
import { parseCmqPush } from "../../shared/triggers/cmq-push";
import { webhookIdFor } from "../../shared/webhooks/signature";
import { EVENT_TIME, eventMessage, JOB_ID, jobDetail, notifyTags, pushOf } from "./support";

const eventOf = (msgBody: string) => pushOf(msgBody).messages[0]!.events[0]!;
const policy = { destination: { allowLoopbackHttp: true } };
const URL_ = "https://hooks.example.com/batch?token=abc";

describe("jobEventOf", () => {
  it("takes job and task events with a job id, in either spelling, from this region", () => {
    const v = jobEventOf(eventOf(eventMessage("JobSucceed")), ["ap-guangzhou"]);
    expect(v).toEqual({ ok: true, event: { name: "JOB_SUCCEED", jobId: JOB_ID, time: Date.parse(EVENT_TIME), region: "ap-guangzhou", jobName: "render", jobState: "SUCCEED" } });
    const task = jobEventOf(eventOf(eventMessage("TASK_INSTANCE_FAILED", { TaskName: "Task1", TaskState: "RUNNING", TaskInstanceIndex: 3 })), ["ap-guangzhou"]);
    expect(task).toMatchObject({ ok: true, event: { name: "TASK_INSTANCE_FAILED", taskName: "Task1", taskState: "RUNNING", taskInstanceIndex: 3 } });
  });

  it.each([
    ["a node event", eventMessage("COMPUTE_NODE_ABNORMAL"), /COMPUTE_NODE_ABNORMAL is not a job event/],
    ["no JobId", eventMessage("JOB_FAILED", { JobId: undefined }), /jobId/],
    ["a malformed JobId", eventMessage("JOB_FAILED", { JobId: "job-../x" }), /jobId a job id looks like job-xxxxxxxx/],
    ["another region", eventMessage().replace('"ap-guangzhou"', '"ap-shanghai"'), /from region ap-shanghai \(this function serves ap-guangzhou\)/],
  ])("ignores %s, saying why", (_name, msg, why) => {
    const v = jobEventOf(eventOf(msg), ["ap-guangzhou"]);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.reason).toMatch(why);
  });
});

describe("planDelivery", () => {
  const ev = (name = "JOB_SUCCEED", batch: Record<string, unknown> = {}) => {
    const v = jobEventOf(eventOf(eventMessage(name, batch)), ["ap-guangzhou"]);
    if (!v.ok) throw new Error(v.reason);
    return v.event;
  };

  it("delivers what the job asked for: the body names the job, its state, submitter, tasks, time and link", () => {
    const p = planDelivery(ev(), jobDetail(notifyTags(URL_), { StateReason: "done" }), { ...policy, jobsApiUrl: "https://jobs.example.com/" });
    expect(p).toMatchObject({ kind: "deliver", url: URL_, submitter: "render-app", webhookId: webhookIdFor(JOB_ID, `JOB_SUCCEED@${new Date(EVENT_TIME).toISOString()}`) });
    if (p.kind !== "deliver") throw new Error(p.kind);
    expect(JSON.parse(p.body)).toEqual({
      type: "JOB_SUCCEED",
      jobId: JOB_ID,
      jobName: "render",
      state: "SUCCEED",
      stateReason: "done",
      submitter: "render-app",
      tasks: { total: 2, byState: { SUCCEED: 2 } },
      occurredAt: "2026-11-30T01:02:03.000Z",
      link: `https://jobs.example.com/jobs/${JOB_ID}`,
    });
  });

  it("says which task a task event is about; the link is the path without JOBS_API_URL", () => {
    const p = planDelivery(ev("TASK_FAILED", { TaskName: "Task2", TaskState: "FAILED", JobState: undefined }), jobDetail(notifyTags(URL_, "TASK_FAILED"), { JobState: "RUNNING" }), policy);
    if (p.kind !== "deliver") throw new Error(p.kind);
    expect(p.payload).toMatchObject({ type: "TASK_FAILED", state: "RUNNING", task: { name: "Task2", state: "FAILED" }, link: `/jobs/${JOB_ID}` });
  });

  it.each([
    ["the job is gone", undefined, /no longer exists/],
    ["the job has no Notify", jobDetail({ submitter: "a" }), /asked for no notifications/],
    ["the job asked for other events", jobDetail(notifyTags(URL_, "JOB_FAILED")), /did not ask for JOB_SUCCEED/],
  ])("skips when %s", (_n, job, why) => {
    const p = planDelivery(ev(), job, policy);
    expect(p.kind).toBe("skip");
    if (p.kind === "skip") expect(p.reason).toMatch(why);
  });

  it("defaults to the terminal events when the events tag is missing", () => {
    const tags: Record<string, string> = { submitter: "a", "batch-scf/notify-url": URL_ };
    expect(planDelivery(ev("JOB_FAILED"), jobDetail(tags), policy).kind).toBe("deliver");
    expect(planDelivery(ev("JOB_RUNNING"), jobDetail(tags), policy).kind).toBe("skip");
  });

  it.each([
    ["no submitter (no secret to sign with)", { "batch-scf/notify-url": URL_ }, /no submitter/],
    ["a URL the rules refuse (changed outside this API)", notifyTags("http://hooks.example.com/"), /must use https/],
    ["a URL off the allow-list", notifyTags("https://evil.example.net/"), /not in the allowed webhook hosts/],
  ])("is a dead letter at once with %s", (_n, tags, why) => {
    const p = planDelivery(ev(), jobDetail(tags), { destination: { allowHosts: ["*.example.com"] } });
    expect(p.kind).toBe("dead");
    if (p.kind === "dead") expect(p.reason).toMatch(why);
  });

  it("gives one occurrence one webhook-id, whatever delivers it, and distinct occurrences distinct ids (property)", () => {
    const names = fc.constantFrom("JOB_SUCCEED", "JOB_FAILED", "TASK_FAILED", "TASK_INSTANCE_FAILED");
    const occurrence = fc.record({ name: names, task: fc.option(fc.constantFrom("Task1", "Task2"), { nil: undefined }), index: fc.option(fc.nat(5), { nil: undefined }), second: fc.nat(120) });
    fc.assert(
      fc.property(occurrence, occurrence, (a, b) => {
        const mk = (o: typeof a) => ({ name: o.name as "JOB_SUCCEED", jobId: JOB_ID, time: Date.parse(EVENT_TIME) + o.second * 1000, taskName: o.task, taskInstanceIndex: o.index });
        const idA = webhookIdFor(JOB_ID, occurrenceOf(mk(a)));
        expect(webhookIdFor(JOB_ID, occurrenceOf(mk({ ...a })))).toBe(idA);
        if (JSON.stringify(a) !== JSON.stringify(b)) expect(webhookIdFor(JOB_ID, occurrenceOf(mk(b)))).not.toBe(idA);
      }),
    );
  });

  it("keeps the webhook-id when the topic pushes the same message again (another msgId, another container)", () => {
    const msg = eventMessage("JOB_FAILED");
    const a = jobEventOf(parseCmqPush(JSON.stringify({ msgId: "1", msgBody: msg })).messages[0]!.events[0]!, ["ap-guangzhou"]);
    const b = jobEventOf(parseCmqPush(JSON.stringify({ msgId: "2", msgBody: msg })).messages[0]!.events[0]!, ["ap-guangzhou"]);
    if (!a.ok || !b.ok) throw new Error("not parsed");
    const job = jobDetail(notifyTags(URL_));
    const pa = planDelivery(a.event, job, policy);
    const pb = planDelivery(b.event, job, policy);
    expect(pa.kind === "deliver" && pb.kind === "deliver" && pa.webhookId === pb.webhookId && pa.body === pb.body).toBe(true);
  });
});
