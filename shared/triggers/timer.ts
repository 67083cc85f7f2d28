// The SCF Timer event (`{Type: "Timer", TriggerName, Time, Message}`, batch-facts §8). Some
// sources write the type in lower case ("timer"), so it is compared case-insensitively.
export function isTimerEvent(event: unknown): boolean {
  const type = event && typeof event === "object" ? (event as { Type?: unknown }).Type : undefined;
  return typeof type === "string" && type.toLowerCase() === "timer";
}
