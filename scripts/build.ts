// `npm run build`: dist/<name>/index.js and dist/<name>.zip for every function. A bundle over the
// 125 KB budget fails the build (and so `npm run check` and CI), with what to look at.
import { BUDGET_BYTES, buildFunction, FUNCTIONS } from "./bundle";

const results = await Promise.all(FUNCTIONS.map((name) => buildFunction(name)));
const over = results.filter((r) => r.bytes > BUDGET_BYTES);
for (const r of results) {
  const kb = (r.bytes / 1024).toFixed(1);
  const flag = r.bytes > BUDGET_BYTES ? "  (over the 125 KB budget)" : "";
  process.stdout.write(`built ${r.name.padEnd(14)} dist/${r.name}/index.js ${kb} KB${flag}\n`);
}
if (over.length > 0) {
  process.stderr.write(
    `build failed: ${over.map((r) => r.name).join(", ")} over the 125 KB budget (cold starts are billed); ` +
      "see what grew with esbuild's metafile: bundle(entry, out, { metafile: true }) in scripts/bundle.ts\n",
  );
  process.exit(1);
}
