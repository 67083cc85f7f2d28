// Contract tests of the emulator's TDMQ 2020-02-17 CMQ topics and subscriptions, through the
// real SDK client, plus the /_emulator/cmq routes.
import type { CreateCmqSubscribeRequest } from "tencentcloud-sdk-nodejs/tencentcloud/services/tdmq/v20200217/tdmq_models";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEmulator, type TestEmulator } from "../support/emulator";
import { emulatorRoute, errorOf, tdmqClient } from "../support/api-clients";

let t: TestEmulator;
let tdmq: ReturnType<typeof tdmqClient>;
beforeAll(async () => {
  t = await startTestEmulator();
  tdmq = tdmqClient(t);
});
afterAll(() => t?.stop());

let seq = 0;
const newTopic = async () => {
  const TopicName = `batch-events-${++seq}`;
  const { TopicId } = await tdmq.CreateCmqTopic({ TopicName });
  return { TopicName, TopicId };
};
const httpSub = (TopicName: string, change: Partial<CreateCmqSubscribeRequest> = {}): CreateCmqSubscribeRequest => ({
  TopicName,
  SubscriptionName: "to-scf",
  Protocol: "http",
  Endpoint: "https://1250000000-abcdefghij.ap-guangzhou.tencentscf.com/events",
  ...change,
});

describe("topics", () => {
  it("creates a topic that DescribeCmqTopicDetail shows; names are unique regardless of case", async () => {
    const { TopicName, TopicId } = await newTopic();
    expect(TopicId).toMatch(/^topic-[a-z0-9]{8}$/);
    const { TopicDescribe } = await tdmq.DescribeCmqTopicDetail({ TopicName });
    expect(TopicDescribe).toMatchObject({ TopicId, TopicName, MaxMsgSize: 65536, MsgRetentionSeconds: 86400, FilterType: 1, MsgCount: 0, SubscriptionCount: 0 });
    expect(TopicDescribe?.CreateTime).toBeGreaterThan(1e12);
    expect(await errorOf(tdmq.CreateCmqTopic({ TopicName: TopicName.toUpperCase() }))).toMatch(/^ResourceInUse\.Topic: /);
  });

  it("refuses a bad name or setting and answers ResourceNotFound.Topic for an unknown topic", async () => {
    expect(await errorOf(tdmq.CreateCmqTopic({ TopicName: "1-starts-with-digit" }))).toMatch(/^InvalidParameterValue\.InvalidParams: /);
    expect(await errorOf(tdmq.CreateCmqTopic({ TopicName: "ok-name", MsgRetentionSeconds: 10 }))).toMatch(/^InvalidParameterValue\.InvalidParams: /);
    expect(await errorOf(tdmq.DescribeCmqTopicDetail({ TopicName: "no-such-topic" }))).toMatch(/^ResourceNotFound\.Topic: /);
    expect(await errorOf(tdmq.DeleteCmqTopic({ TopicName: "no-such-topic" }))).toMatch(/^ResourceNotFound\.Topic: /);
  });

  it("deletes a topic with its subscriptions", async () => {
    const { TopicName } = await newTopic();
    await tdmq.CreateCmqSubscribe(httpSub(TopicName));
    await tdmq.DeleteCmqTopic({ TopicName });
    expect(await errorOf(tdmq.DescribeCmqTopicDetail({ TopicName }))).toMatch(/^ResourceNotFound\.Topic: /);
    const subs = (await emulatorRoute<Array<{ TopicName: string }>>(t, "GET", "/cmq/subscriptions")).json;
    expect(subs.some((s) => s.TopicName === TopicName)).toBe(false);
  });
});

describe("subscriptions", () => {
  it("subscribes with the documented defaults and lists it in DescribeCmqSubscriptionDetail and /_emulator/cmq/subscriptions", async () => {
    const { TopicName } = await newTopic();
    const { SubscriptionId } = await tdmq.CreateCmqSubscribe(httpSub(TopicName, { FilterTag: ["render"] }));
    const detail = await tdmq.DescribeCmqSubscriptionDetail({ TopicName });
    expect(detail.TotalCount).toBe(1);
    expect(detail.SubscriptionSet?.[0]).toMatchObject({
      SubscriptionName: "to-scf",
      SubscriptionId,
      Protocol: "http",
      Endpoint: "https://1250000000-abcdefghij.ap-guangzhou.tencentscf.com/events",
      NotifyStrategy: "EXPONENTIAL_DECAY_RETRY",
      NotifyContentFormat: "JSON",
      FilterTags: ["render"],
      BindingKey: [],
      MsgCount: 0,
    });
    expect((await tdmq.DescribeCmqTopicDetail({ TopicName })).TopicDescribe?.SubscriptionCount).toBe(1);
    const listed = (await emulatorRoute<Array<Record<string, unknown>>>(t, "GET", "/cmq/subscriptions")).json.find((s) => s.TopicName === TopicName);
    expect(listed).toMatchObject({ Region: "ap-guangzhou", SubscriptionName: "to-scf", Protocol: "http", NotifyStrategy: "EXPONENTIAL_DECAY_RETRY", NotifyContentFormat: "JSON" });
    const topics = (await emulatorRoute<Array<{ TopicName: string }>>(t, "GET", "/cmq/topics")).json;
    expect(topics.map((x) => x.TopicName)).toContain(TopicName);
  });

  it("pages and filters DescribeCmqSubscriptionDetail by a part of the name", async () => {
    const { TopicName } = await newTopic();
    for (const SubscriptionName of ["alpha-1", "alpha-2", "beta-1"]) await tdmq.CreateCmqSubscribe(httpSub(TopicName, { SubscriptionName }));
    const alpha = await tdmq.DescribeCmqSubscriptionDetail({ TopicName, SubscriptionName: "alpha" });
    expect(alpha.SubscriptionSet?.map((s) => s.SubscriptionName)).toEqual(["alpha-1", "alpha-2"]);
    const second = await tdmq.DescribeCmqSubscriptionDetail({ TopicName, Offset: 1, Limit: 1 });
    expect(second.TotalCount).toBe(3);
    expect(second.SubscriptionSet?.map((s) => s.SubscriptionName)).toEqual(["alpha-2"]);
  });

  it("refuses a duplicate, an unknown topic, a non-http endpoint and a JSON queue subscription", async () => {
    const { TopicName } = await newTopic();
    await tdmq.CreateCmqSubscribe(httpSub(TopicName));
    expect(await errorOf(tdmq.CreateCmqSubscribe(httpSub(TopicName)))).toMatch(/^ResourceInUse\.Subscription: /);
    expect(await errorOf(tdmq.CreateCmqSubscribe(httpSub("no-such-topic")))).toMatch(/^ResourceNotFound\.Topic: /);
    expect(await errorOf(tdmq.CreateCmqSubscribe(httpSub(TopicName, { SubscriptionName: "ftp", Endpoint: "ftp://example.com" })))).toMatch(
      /^InvalidParameterValue\.InvalidParams: /,
    );
    expect(await errorOf(tdmq.CreateCmqSubscribe(httpSub(TopicName, { SubscriptionName: "q", Protocol: "queue", Endpoint: "jobs", NotifyContentFormat: "JSON" })))).toMatch(
      /^InvalidParameterValue\.InvalidParams: /,
    );
    expect(await errorOf(tdmq.CreateCmqSubscribe(httpSub(TopicName, { SubscriptionName: "http", Endpoint: "http://10.0.0.1:8080/x" })))).toBe("no error");
  });

  it("modifies the retry strategy but not the endpoint, and deletes a subscription", async () => {
    const { TopicName } = await newTopic();
    await tdmq.CreateCmqSubscribe(httpSub(TopicName));
    await tdmq.ModifyCmqSubscriptionAttribute({ TopicName, SubscriptionName: "to-scf", NotifyStrategy: "BACKOFF_RETRY", NotifyContentFormat: "SIMPLIFIED" });
    const [sub] = (await tdmq.DescribeCmqSubscriptionDetail({ TopicName })).SubscriptionSet ?? [];
    expect(sub).toMatchObject({ NotifyStrategy: "BACKOFF_RETRY", NotifyContentFormat: "SIMPLIFIED", Endpoint: httpSub(TopicName).Endpoint });
    const withEndpoint = { TopicName, SubscriptionName: "to-scf", Endpoint: "http://elsewhere" } as Parameters<typeof tdmq.ModifyCmqSubscriptionAttribute>[0];
    expect(await errorOf(tdmq.ModifyCmqSubscriptionAttribute(withEndpoint))).toMatch(/^UnknownParameter: Endpoint/);
    expect(await errorOf(tdmq.ModifyCmqSubscriptionAttribute({ TopicName, SubscriptionName: "nope", NotifyStrategy: "BACKOFF_RETRY" }))).toMatch(/^ResourceNotFound\.Subscription: /);
    await tdmq.DeleteCmqSubscribe({ TopicName, SubscriptionName: "to-scf" });
    expect((await tdmq.DescribeCmqSubscriptionDetail({ TopicName })).TotalCount).toBe(0);
    expect(await errorOf(tdmq.DeleteCmqSubscribe({ TopicName, SubscriptionName: "to-scf" }))).toMatch(/^ResourceNotFound\.Subscription: /);
  });

  it("keeps topics and subscriptions per region", async () => {
    const { TopicName } = await newTopic();
    const shanghai = tdmqClient(t, "ap-shanghai");
    expect(await errorOf(shanghai.DescribeCmqTopicDetail({ TopicName }))).toMatch(/^ResourceNotFound\.Topic: /);
    await shanghai.CreateCmqTopic({ TopicName });
    expect((await shanghai.DescribeCmqTopicDetail({ TopicName })).TopicDescribe?.TopicName).toBe(TopicName);
  });
});
