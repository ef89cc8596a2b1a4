#!/usr/bin/env bash
# Puts a Node >= 24.6 first on PATH: the system one if new enough, else the `node@24` npm package
# installed once into .tools/ (a registry package, so it works without internet beyond npm).
# Source it: `. scripts/node.sh`.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
node_ok() {
  command -v node >/dev/null 2>&1 && node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>24||(a===24&&b>=6)?0:1)' 2>/dev/null
}
if ! node_ok; then
  tools="$root/.tools/node24"
  if [ ! -x "$tools/node_modules/node/bin/node" ]; then
    echo "node: system Node $(node -v 2>/dev/null || echo missing) is too old; installing node@24 from npm into .tools/" >&2
    mkdir -p "$tools"
    npm install --prefix "$tools" --no-audit --no-fund --no-save node@24 >/dev/null
  fi
  export PATH="$tools/node_modules/node/bin:$PATH"
fi
