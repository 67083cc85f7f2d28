// esbuild bundling of the functions: one CommonJS file per function that runs with no
// node_modules on SCF's Nodejs18.15 runtime, plus a deployable zip. What each bundle carries, by
// input: `npx tsx scripts/bundle.ts --analyze [--top N] [name…]` (end of this file).
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { deflateRawSync } from "node:zlib";
import { type BuildOptions, build, type Metafile, type Plugin } from "esbuild";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const FUNCTIONS = ["jobs", "envs", "node-abnormal", "cost-report", "autoscale", "job-notify"] as const;
export type FunctionName = (typeof FUNCTIONS)[number];
/** A bundle over this fails the build (scripts/build.ts) and the bench's within_budget. */
export const BUDGET_BYTES = 125 * 1024;

const shimPlugin: Plugin = {
  name: "sdk-shims",
  setup(b) {
    // The SDK's common client, reduced to the one path Batch takes, with its HTTP transport
    // (scripts/shims/abstract-client.cjs): what the real one requires (node-fetch and its polyfills,
    // form-data, json-bigint, …) is never bundled.
    // shared/batch/tencent-adapter.ts imports it by the package's path; a generated client, relatively.
    b.onResolve({ filter: /^(tencentcloud-sdk-nodejs\/tencentcloud|\.\.\/\.\.\/\.\.)\/common\/abstract_client$/ }, () => ({
      path: join(ROOT, "scripts", "shims", "abstract-client.cjs"),
    }));
    b.onLoad({ filter: /[\\/]services[\\/][^\\/]+[\\/]v\d+[\\/][a-z0-9_]+_client\.js$/ }, (args) => {
      const contents = compactServiceClient(readFileSync(args.path, "utf8"));
      return contents === undefined ? undefined : { contents, loader: "js" };
    });
  },
};

/**
 * An SDK service client (e.g. batch_client.js) is generated: a class whose every method is
 * `async Action(req, cb) { return this.request("Action", req, cb); }`, with its doc comment. The
 * same class, its methods defined from the list of names (~1.7 KB less for Batch's 30 actions).
 * A file of another shape is bundled as it is.
 */
export function compactServiceClient(source: string): string | undefined {
  const head = /class Client extends abstract_client_1\.AbstractClient \{\s*constructor\(clientConfig\) \{\s*super\(("[^"]+"), ("[^"]+"), clientConfig\);\s*\}/.exec(source);
  const methods = [...source.matchAll(/async (\w+)\(req, cb\) \{\s*return this\.request\("(\w+)", req, cb\);\s*\}/g)];
  const declared = source.match(/^ {4}(?:async )?\w+\(/gm)?.length ?? 0;
  if (!head || methods.length === 0 || methods.some((m) => m[1] !== m[2]) || declared !== methods.length + 1) return undefined;
  return `"use strict";
const { AbstractClient } = require("../../../common/abstract_client");
class Client extends AbstractClient {
  constructor(clientConfig) {
    super(${head[1]}, ${head[2]}, clientConfig);
  }
}
for (const action of ${JSON.stringify(methods.map((m) => m[1]).join(","))}.split(",")) {
  Object.defineProperty(Client.prototype, action, {
    value: async function (req, cb) {
      return this.request(action, req, cb);
    },
    writable: true,
    configurable: true,
  });
}
exports.Client = Client;
`;
}

export interface BundleResult {
  name: string;
  file: string;
  bytes: number;
}

export async function bundle(
  entry: string,
  outfile: string,
  opts: { shims?: boolean; minify?: boolean; metafile?: boolean } = {},
): Promise<BundleResult & { meta?: Metafile }> {
  mkdirSync(dirname(outfile), { recursive: true });
  // The repo is `"type": "module"`; bundles are CommonJS, as SCF (no package.json) loads them.
  writeFileSync(join(dirname(dirname(outfile)), "package.json"), '{ "type": "commonjs" }\n');
  const common: BuildOptions = {
    bundle: true,
    platform: "node",
    target: "node18",
    minify: opts.minify ?? true,
    sourcemap: false,
    legalComments: "none",
    logLevel: "warning",
    metafile: true,
    plugins: opts.shims === false ? [] : [shimPlugin],
    // tsconfig's `strict` makes esbuild repeat "use strict" in every lazily wrapped module (~60 per
    // bundle); one directive for the whole file keeps all of it strict, once.
    tsconfigRaw: { compilerOptions: { alwaysStrict: false } },
    // Bundle-only branches (shared/http/handler.ts's OpenAPI route reads its prebuilt document).
    define: { "process.env.BATCH_SCF_BUNDLE": '"1"' },
  };
  const deferred: Metafile[] = [];
  const r = await build({
    ...common,
    entryPoints: [entry],
    outfile,
    format: "cjs",
    plugins: [...common.plugins!, deferredEntryPlugin(entry, common, deferred)],
    banner: { js: '"use strict";' },
    // SCF loads index.main_handler; the ESM `export const main_handler` becomes exports.main_handler.
  });
  const meta = mergeMetafiles(r.metafile!, deferred);
  return { name: entry, file: outfile, bytes: statSync(outfile).size, ...(opts.metafile ? { meta } : {}) };
}

/**
 * A function's index.ts defers its code to the first event: `import("./entry")`. Bundled as it is,
 * every module that import reaches gets a lazy initialiser of its own, called by each of its
 * importers (~2 KB a bundle). So the entry is bundled first on its own, as one ES module (its
 * modules in order, unwrapped), and that is what the import loads: one lazily evaluated module,
 * whose functions esbuild keeps at the top level of the file (parsed once, at load) and whose
 * statements run on the first event, in the same order as before. (Loaded as one CommonJS module
 * instead, all of it in one closure, the first event was measured ~4-6 ms of CPU slower.)
 */
function deferredEntryPlugin(entry: string, common: BuildOptions, metas: Metafile[]): Plugin {
  return {
    name: "deferred-entry",
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.kind !== "dynamic-import" || args.importer !== entry || args.pluginData === "deferred") return undefined;
        const real = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: "deferred" });
        return real.errors.length > 0 ? { errors: real.errors } : { path: real.path, namespace: "deferred-entry" };
      });
      b.onLoad({ filter: /.*/, namespace: "deferred-entry" }, async (args) => {
        const r = await build({ ...common, entryPoints: [args.path], format: "esm", write: false });
        if (r.metafile) metas.push(r.metafile);
        return { contents: r.outputFiles![0]!.text, loader: "js", resolveDir: dirname(args.path) };
      });
    },
  };
}

/**
 * The bundle's metafile with the deferred entry's inputs in place of the module built from them.
 * A module bundled both beside the entry and in it would be two instances (two states): refused.
 */
function mergeMetafiles(outer: Metafile, inner: Metafile[]): Metafile {
  const [name, output] = Object.entries(outer.outputs)[0]!;
  const inputs = Object.fromEntries(Object.entries(output.inputs).filter(([k]) => !k.startsWith("deferred-entry:")));
  for (const m of inner) {
    const twice = Object.keys(Object.values(m.outputs)[0]!.inputs).filter((k) => k in inputs);
    if (twice.length > 0) throw new Error(`bundled both beside the lazy entry and in it (two instances): ${twice.join(", ")}`);
    Object.assign(inputs, Object.values(m.outputs)[0]!.inputs);
  }
  return { inputs: Object.assign({}, outer.inputs, ...inner.map((m) => m.inputs)), outputs: { [name]: { ...output, inputs } } };
}

export async function buildFunction(name: FunctionName, outDir = join(ROOT, "dist")): Promise<BundleResult> {
  const file = join(outDir, name, "index.js");
  const r = await bundle(join(ROOT, "functions", name, "index.ts"), file);
  const docs = await writeDocuments(name, dirname(file));
  writeZip(join(outDir, `${name}.zip`), [{ name: "index.js", path: file }, ...docs]);
  return { ...r, name };
}

/**
 * The function's OpenAPI documents, built from its route table's schemas (the same routes the
 * bundle serves; no handler runs) and written beside the bundle, which serves them as they are.
 */
async function writeDocuments(name: FunctionName, dir: string): Promise<Array<{ name: string; path: string }>> {
  const { documentFile } = await import("../shared/http/handler");
  const unused = {} as never;
  const region = "ap-guangzhou";
  const tables: Partial<Record<FunctionName, () => Promise<ReadonlyArray<{ path: string; document?: () => unknown }>>>> = {
    jobs: async () => (await import("../functions/jobs/routes")).jobsRoutes(unused, { region }),
    envs: async () => (await import("../functions/envs/routes")).envsRoutes(unused, { region }),
  };
  const routes = (await tables[name]?.()) ?? [];
  return routes.flatMap((r) => {
    if (!r.document) return [];
    const path = join(dir, documentFile(r.path));
    writeFileSync(path, `${JSON.stringify(r.document())}\n`);
    return [{ name: documentFile(r.path), path }];
  });
}

// --- a minimal zip writer (deflate), enough for SCF code packages ---

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function writeZip(zipPath: string, files: Array<{ name: string; path?: string; data?: Buffer }>): void {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  // A fixed DOS timestamp keeps zips reproducible: 1980-01-01 00:00.
  const dosTime = 0;
  const dosDate = (0 << 9) | (1 << 5) | 1;
  for (const f of files) {
    const data = f.data ?? readFileSync(f.path!);
    const compressed = deflateRawSync(data, { level: 9 });
    const name = Buffer.from(f.name, "utf8");
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(dosTime, 10);
    local.writeUInt16LE(dosDate, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x0314, 4); // made by unix, v2.0
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(dosTime, 12);
    central.writeUInt16LE(dosDate, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38); // -rw-r--r--
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, compressed);
    centrals.push(central, name);
    offset += local.length + name.length + compressed.length;
  }
  const centralSize = centrals.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  mkdirSync(dirname(zipPath), { recursive: true });
  writeFileSync(zipPath, Buffer.concat([...locals, ...centrals, end]));
}

export function listFunctions(): string[] {
  return readdirSync(join(ROOT, "functions")).filter((d) => statSync(join(ROOT, "functions", d)).isDirectory());
}

// --- `npx tsx scripts/bundle.ts --analyze [--top N] [name…]`: what each bundle carries ---

/** Where an input's bytes are counted: zod, the SDK with its shims, or a folder of this repo. */
const groupOf = (input: string) =>
  input.startsWith("node_modules/zod/") ? "zod" : /^(node_modules\/tencentcloud-sdk-nodejs|scripts\/shims)\//.test(input) ? "sdk+shims" : input.split("/").slice(0, 2).join("/");

/** Builds the bundles (as `npm run build` does, into a temporary folder) and prints, per bundle, bytes by group and the top inputs. */
export async function analyze(names: readonly string[], top = 25): Promise<void> {
  const kb = (n: number) => (n / 1024).toFixed(1);
  const out = join(tmpdir(), "batch-scf-analyze");
  for (const name of names) {
    const r = await bundle(join(ROOT, "functions", name, "index.ts"), join(out, name, "index.js"), { metafile: true });
    const meta = r.meta!;
    const inputs = Object.entries(Object.values(meta.outputs)[0]!.inputs).map(([path, v]) => ({ path, bytes: v.bytesInOutput }));
    inputs.sort((a, b) => b.bytes - a.bytes);
    const groups = new Map<string, number>();
    for (const i of inputs) groups.set(groupOf(i.path), (groups.get(groupOf(i.path)) ?? 0) + i.bytes);
    const byGroup = [...groups].sort((a, b) => b[1] - a[1]).map(([g, n]) => `${g} ${kb(n)}`);
    process.stdout.write(`\n${name}: ${kb(r.bytes)} KB (${kb(BUDGET_BYTES - r.bytes)} KB under the budget)\n  ${byGroup.join(" | ")}\n`);
    for (const i of inputs.slice(0, top)) process.stdout.write(`  ${String(i.bytes).padStart(6)}  ${i.path}\n`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url) && process.argv.includes("--analyze")) {
  const args = process.argv.slice(2).filter((a) => a !== "--analyze");
  const at = args.indexOf("--top");
  const top = at >= 0 ? Number(args.splice(at, 2)[1]) : undefined;
  await analyze(args.length > 0 ? args : FUNCTIONS, top);
}
