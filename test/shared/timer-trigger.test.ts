import { describe, expect, it } from "vitest";
import timer from "../fixtures/timer.json";
import { isTimerEvent } from "../../shared/triggers/timer";

describe("isTimerEvent", () => {
  it.each([
    ["the captured fixture", timer, true],
    ["lower-case type (as the serverless-tencent-scf docs write it)", { ...timer, Type: "timer" }, true],
    ["a CMQ event", { Records: [{ CMQ: {} }] }, false],
    ["an HTTP event", { httpMethod: "GET", path: "/" }, false],
    ["a non-string type", { Type: 1 }, false],
    ["null", null, false],
  ])("%s", (_name, event, expected) => {
    expect(isTimerEvent(event)).toBe(expected);
  });
});
