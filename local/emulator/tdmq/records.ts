// What the emulator knows about TDMQ CMQ topics and their subscriptions, per region.
// Topic names are case-insensitive (CreateCmqTopicRequest says so): keys use the lower-cased name.

export interface CmqTopicRecord {
  region: string;
  topicId: string;
  /** As created. */
  topicName: string;
  maxMsgSize: number;
  filterType: number;
  msgRetentionSeconds: number;
  trace: boolean;
  tags: Array<{ TagKey: string; TagValue: string }>;
  createdAt: number;
  modifiedAt: number;
}

export interface CmqSubscriptionRecord {
  region: string;
  /** The topic's name as created. */
  topicName: string;
  subscriptionId: string;
  subscriptionName: string;
  protocol: "http" | "queue";
  endpoint: string;
  notifyStrategy: string;
  notifyContentFormat: string;
  filterTags: string[];
  bindingKey: string[];
  createdAt: number;
  modifiedAt: number;
}

export const cmqTopicKey = (region: string, topicName: string): string => `${region}/${topicName.toLowerCase()}`;
export const cmqSubscriptionKey = (r: { region: string; topicName: string; subscriptionName: string }): string =>
  `${cmqTopicKey(r.region, r.topicName)}/${r.subscriptionName}`;
