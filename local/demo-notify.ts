// The demo's job-notifications step: a receiver on 127.0.0.1, a job submitted with `Notify`, the
// signed delivery job-notify makes when the job ends, the app's secret read from GET
// /webhooks/secret, and the signature checked the way the README tells an app to.
import { startWebhookReceiver, verifyStandardWebhook } from "./webhook-receiver";

type Json = Record<string, unknown>;
type Call = (method: string, path: string, body?: unknown, extra?: Record<string, string>) => Promise<{ status: number; body: Json }>;

export async function demoNotifications(call: Call, say: (line: string) => void, job: Json, step: number): Promise<void> {
  say(`\n${step}. Job notifications: a signed webhook when a job ends, verified as an app would`);
  const receiver = await startWebhookReceiver();
  try {
    const url = `${receiver.url}/hooks/demo`;
    say(`  a receiver listens on ${url}`);
    const submitted = await call("POST", "/jobs", { ...job, Notify: { Url: url } }, { "idempotency-key": `demo-tour-notify-${Date.now()}` });
    const jobId = submitted.body.JobId as string | undefined;
    if (!jobId) throw new Error("the job with Notify was not submitted");
    say(`  job ${jobId} asks for its terminal events; waiting for the delivery…`);
    const got = await receiver.next((r) => r.body.includes(jobId), 60_000);
    const payload = JSON.parse(got.body) as Json;
    say(`  received ${payload.type} for ${payload.jobId} (state ${payload.state}, link ${payload.link})`);
    say(`  webhook-id ${got.headers["webhook-id"]}, webhook-timestamp ${got.headers["webhook-timestamp"]}, ${got.headers["webhook-signature"]?.split(" ").length ?? 0} signature(s)`);
    const secret = await call("GET", "/webhooks/secret");
    const secrets = (secret.body.Secrets as string[] | undefined) ?? [];
    say(`  the app's secret(s) for key ${secret.body.KeyName}: ${secrets.length} (not printed)`);
    const verdicts = secrets.map((s) => verifyStandardWebhook(s, got.headers, got.body));
    const ok = verdicts.find((v) => v.ok);
    say(ok?.ok ? `  verified: HMAC-SHA256(secret, id.timestamp.body) matches signature ${ok.matched} of ${ok.of}` : `  NOT verified: ${verdicts.map((v) => (v.ok ? "" : v.reason)).join("; ")}`);
    if (!ok) throw new Error("the delivery's signature did not verify");
  } finally {
    await receiver.close();
  }
}
