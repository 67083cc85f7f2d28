// The emulator as a child process of the local stack (local/emulator/process.ts starts it):
// settings from the environment as for `npm run emulator`, Batch events sent to the parent over
// IPC (its topic bus). It has an event loop of its own, so SQLite's synchronous writes never
// hold up the gateway or the functions' replies, as Batch is a service apart in the cloud.
// The parent owns its life: it stops on a `disconnect` (the parent closing or dying, even while
// it is still starting), after flushing its state; SIGINT/SIGTERM sent to the whole process
// group are left to the parent.
import { emulatorOptionsFromEnv } from "./options";
import { type Emulator, startEmulator } from "./server";

let emu: Emulator | undefined;
let parentGone = false;
const stop = () => {
  if (!emu) return process.exit(0);
  const e = emu;
  emu = undefined;
  e.close().finally(() => process.exit(0));
};
process.on("disconnect", () => {
  parentGone = true;
  stop();
});
process.on("SIGINT", () => {});
process.on("SIGTERM", () => {});

const send = (m: unknown, then?: () => void) => {
  if (process.connected && process.send) process.send(m, undefined, {}, () => then?.());
  else then?.();
};

try {
  emu = await startEmulator({ ...emulatorOptionsFromEnv(process.env), publish: (topic, body) => send({ type: "publish", topic, body }) });
  // The parent went while this one was starting: nobody will ever stop it otherwise.
  if (parentGone || !process.connected) stop();
  else send({ type: "ready", url: emu.url, port: emu.port });
} catch (e) {
  // Exit once the reason is written: an exit right after send() may lose it.
  send({ type: "failed", message: (e as Error).message }, () => process.exit(1));
}
