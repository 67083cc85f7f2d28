// `npm run deploy` (after `npm run build`): makes the account match serverless.yml. See README → Deploying.
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runDeploy } from "./deploy/run";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const result = await runDeploy({
  argv: process.argv.slice(2),
  env: process.env,
  file: resolve(root, process.env.SERVERLESS_FILE || "serverless.yml"),
  print: (line) => process.stdout.write(`${line}\n`),
});
process.exit(result.ok ? 0 : 1);
