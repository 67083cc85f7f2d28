// A stand-in for the local stack in test/stack/emulator-process.test.ts: starts the emulator
// process and reports on stdout, then waits to be killed.
//   `node --import tsx test/support/emulator-parent.ts` prints "spawned" at once and "ready <pid>".
import { resolve } from "node:path";
import { startEmulatorProcess } from "../../local/emulator/process";

const root = resolve(import.meta.dirname, "..", "..");
startEmulatorProcess({ root, env: process.env, publish: () => {}, output: () => {} }).then(
  (emu) => process.stdout.write(`ready ${emu.pid}\n`),
  (e: Error) => process.stdout.write(`failed ${e.message}\n`),
);
process.stdout.write("spawned\n");
setInterval(() => {}, 1 << 30);
