// The Node that SCF's `Nodejs18.15` runtime runs, fetched by scripts/fetch-scf-node.sh into
// .cache/ (or named by SCF_NODE_BIN). CI fetches it and sets REQUIRE_SCF_NODE=1, so the tests
// that use it cannot be skipped there.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

export const SCF_NODE = process.env.SCF_NODE_BIN || join(resolve(__dirname, "..", ".."), ".cache", "node-18.15.0", "bin", "node");
export const scfNodeAvailable = existsSync(SCF_NODE);
export const scfNodeRequired = process.env.REQUIRE_SCF_NODE === "1";
