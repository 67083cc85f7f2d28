// Alerts (short-circuits, cap hits, budgets, idle envs) go to a webhook from config and
// always to the log. A failing webhook never fails the caller: the alert is logged instead.
import type { Logger } from "./log";

export interface Alert {
  /** Stable kind, e.g. `remediation.short-circuit`, `budget.projected`. */
  kind: string;
  severity: "info" | "warning" | "critical";
  summary: string;
  details?: Record<string, unknown>;
}

export interface Alerter {
  send(alert: Alert): Promise<void>;
}

export function createAlerter(opts: {
  webhookUrl?: string | undefined;
  logger: Logger;
  source: string;
  fetchImpl?: typeof fetch;
  timeoutMs?: number;
}): Alerter {
  const doFetch = opts.fetchImpl ?? fetch;
  return {
    async send(alert) {
      opts.logger.warn("alert", { alert_kind: alert.kind, severity: alert.severity, summary: alert.summary, details: alert.details });
      if (!opts.webhookUrl) return;
      try {
        const res = await doFetch(opts.webhookUrl, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ source: opts.source, time: new Date().toISOString(), ...alert }),
          signal: AbortSignal.timeout(opts.timeoutMs ?? 3000),
        });
        if (!res.ok) opts.logger.error("alert webhook refused", { alert_kind: alert.kind, status: res.status });
      } catch (e) {
        opts.logger.error("alert webhook failed", { alert_kind: alert.kind, error: (e as Error).message });
      }
    },
  };
}
