// `npm run build`: dist/<name>/index.js and dist/<name>.zip for every function.
import { buildFunction, FUNCTIONS } from "./bundle";

const BUDGET_BYTES = 150 * 1024;
const results = await Promise.all(FUNCTIONS.map((name) => buildFunction(name)));
for (const r of results) {
  const kb = (r.bytes / 1024).toFixed(1);
  const flag = r.bytes > BUDGET_BYTES ? "  (over the 150 KB budget)" : "";
  process.stdout.write(`built ${r.name.padEnd(14)} dist/${r.name}/index.js ${kb} KB${flag}\n`);
}
