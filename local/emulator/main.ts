// Runs the Batch emulator on its own: `npm run emulator`.
import { startEmulator } from "./server";
import { emulatorOptionsFromEnv } from "./options";

const opts = emulatorOptionsFromEnv(process.env);
const emu = await startEmulator(opts);
process.stdout.write(
  `batch emulator ready on ${emu.url} (data ${opts.dataDir}); SecretId ${opts.credentials[0]?.secretId}\n`,
);
const stop = () => {
  emu.close().then(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
