// CMQ topic names: a letter first, then letters, digits, - or _, at most 64 characters.
import * as z from "../zod";
import { LIMITS } from "./limits";

export const TOPIC_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
export const TOPIC_NAME_RULE = "a topic name starts with a letter and has only letters, digits, - and _";
export const TOPIC_NAME_TOO_LONG = `a topic name has at most ${LIMITS.topicName} characters`;

export const TopicNameSchema = z
  .string()
  .check(
    z.minLength(1, { message: "must not be empty" }),
    z.maxLength(LIMITS.topicName, { message: TOPIC_NAME_TOO_LONG }),
    z.regex(TOPIC_NAME, { message: TOPIC_NAME_RULE }),
  );
