// The emulator as a child process of the local stack (local/emulator/process.ts starts it):
// settings from the environment as for `npm run emulator`, Batch events sent to the parent over
// IPC (its topic bus). It has an event loop of its own, so SQLite's synchronous writes never
// hold up the gateway or the functions' replies, as Batch is a service apart in the cloud.
// The parent owns its life: it stops on a `disconnect` (the parent closing or dying), after
// flushing its state; SIGINT/SIGTERM sent to the whole process group are left to the parent.
import { emulatorOptionsFromEnv } from "./options";
import { startEmulator } from "./server";

const send = (m: unknown) => {
  if (process.connected) process.send?.(m);
};

try {
  const emu = await startEmulator({ ...emulatorOptionsFromEnv(process.env), publish: (topic, body) => send({ type: "publish", topic, body }) });
  let closing = false;
  process.on("disconnect", () => {
    if (closing) return;
    closing = true;
    emu.close().finally(() => process.exit(0));
  });
  process.on("SIGINT", () => {});
  process.on("SIGTERM", () => {});
  send({ type: "ready", url: emu.url, port: emu.port });
} catch (e) {
  send({ type: "failed", message: (e as Error).message });
  process.exit(1);
}
