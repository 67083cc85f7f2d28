// esbuild bundling of the functions: one CommonJS file per function that runs with no
// node_modules on SCF's Nodejs18.15 runtime, plus a deployable zip.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { deflateRawSync } from "node:zlib";
import { build, type Plugin } from "esbuild";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const FUNCTIONS = ["jobs", "envs", "node-abnormal", "cost-report"] as const;
export type FunctionName = (typeof FUNCTIONS)[number];
/** A bundle over this fails the build (scripts/build.ts) and the bench's within_budget. */
export const BUDGET_BYTES = 125 * 1024;

/** The SDK's dependencies that Node 18 makes redundant, mapped to tiny shims (scripts/shims). */
const SHIMS: Record<string, string> = {
  "node-fetch": "node-fetch.cjs",
  "https-proxy-agent": "https-proxy-agent.cjs",
  "form-data": "form-data.cjs",
  "json-bigint": "json-bigint.cjs",
  "is-stream": "is-stream.cjs",
  "get-stream": "get-stream.cjs",
  uuid: "uuid.cjs",
  tslib: "tslib.cjs",
};

const shimPlugin: Plugin = {
  name: "sdk-shims",
  setup(b) {
    const filter = new RegExp(`^(${Object.keys(SHIMS).join("|")})$`);
    b.onResolve({ filter }, (args) => ({ path: join(ROOT, "scripts", "shims", SHIMS[args.path]!) }));
    b.onResolve({ filter: /^\.\/sse_response_model$/ }, () => ({ path: join(ROOT, "scripts", "shims", "sse-response-model.cjs") }));
  },
};

export interface BundleResult {
  name: string;
  file: string;
  bytes: number;
}

export async function bundle(
  entry: string,
  outfile: string,
  opts: { shims?: boolean; minify?: boolean; metafile?: boolean } = {},
): Promise<BundleResult & { meta?: unknown }> {
  mkdirSync(dirname(outfile), { recursive: true });
  // The repo is `"type": "module"`; bundles are CommonJS, as SCF (no package.json) loads them.
  writeFileSync(join(dirname(dirname(outfile)), "package.json"), '{ "type": "commonjs" }\n');
  const r = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node18",
    minify: opts.minify ?? true,
    sourcemap: false,
    legalComments: "none",
    logLevel: "warning",
    metafile: opts.metafile ?? false,
    plugins: opts.shims === false ? [] : [shimPlugin],
    // tsconfig's `strict` makes esbuild repeat "use strict" in every lazily wrapped module (~60 per
    // bundle); one directive for the whole file keeps all of it strict, once.
    tsconfigRaw: { compilerOptions: { alwaysStrict: false } },
    banner: { js: '"use strict";' },
    // Bundle-only branches (shared/http/handler.ts's OpenAPI route reads its prebuilt document).
    define: { "process.env.BATCH_SCF_BUNDLE": '"1"' },
    // SCF loads index.main_handler; the ESM `export const main_handler` becomes exports.main_handler.
  });
  return { name: entry, file: outfile, bytes: statSync(outfile).size, ...(r.metafile ? { meta: r.metafile } : {}) };
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
