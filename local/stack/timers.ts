// Local timers: each enabled `timer` trigger fires its function at the cron's times, read on
// SCF's clock (UTC+8 by default, see SCF_CRON_UTC_OFFSET_HOURS),
// asynchronously, with the SCF Timer event. Timers that were due while the stack was down are
// not replayed (SCF does not replay them either).
import { nextFireAt, SCF_CRON_UTC_OFFSET_HOURS } from "./cron";
import { timerEvent } from "./events";
import type { Invoker } from "./invoker";
import type { FunctionConfig, TimerTrigger } from "./serverless-config";

export interface ScheduledTimer {
  function: string;
  trigger: TimerTrigger;
  next: Date | undefined;
}

const MAX_DELAY = 2 ** 31 - 1;

export function startTimers(
  functions: readonly FunctionConfig[],
  invoker: Invoker,
  now: () => Date = () => new Date(),
  offsetHours: number = SCF_CRON_UTC_OFFSET_HOURS,
): { list(): ScheduledTimer[]; stop(): void } {
  const scheduled: Array<ScheduledTimer & { handle?: NodeJS.Timeout }> = [];
  let stopped = false;
  for (const fn of functions) {
    for (const t of fn.triggers) if (t.kind === "timer" && t.enabled) scheduled.push({ function: fn.name, trigger: t, next: undefined });
  }
  const arm = (s: (typeof scheduled)[number], after?: Date) => {
    if (stopped) return;
    const t = now();
    s.next = nextFireAt(s.trigger.cron, after && after > t ? after : t, offsetHours);
    if (!s.next) return;
    const delay = Math.max(0, s.next.getTime() - now().getTime());
    s.handle = setTimeout(
      () => {
        if (delay > MAX_DELAY) return arm(s, undefined);
        const at = s.next ?? now();
        void invoker.async(s.function, timerEvent({ triggerName: s.trigger.name, message: s.trigger.message, time: at }), {
          source: "timer",
          trigger: s.trigger.name,
          what: `timer ${s.trigger.name} at ${at.toISOString()}`,
        });
        arm(s, at);
      },
      Math.min(delay, MAX_DELAY),
    );
    s.handle.unref?.();
  };
  for (const s of scheduled) arm(s);
  return {
    list: () => scheduled.map(({ handle: _h, ...rest }) => rest),
    stop() {
      stopped = true;
      for (const s of scheduled) if (s.handle) clearTimeout(s.handle);
    },
  };
}
