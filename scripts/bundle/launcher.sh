#!/bin/sh
# bin/saev of the offline bundle (written there by scripts/bundle.ts): runs the bundled Node.js on the
# bundled tool. Works from any directory and through symlinks (it finds itself, not the caller's cwd),
# and needs no node on PATH, no registry and no HOME of any kind.
set -e
self=$0
while [ -L "$self" ]; do
  link=$(readlink "$self")
  case $link in
    /*) self=$link ;;
    *) self=$(dirname "$self")/$link ;;
  esac
done
root=$(cd "$(dirname "$self")/.." && pwd -P)
exec "$root/node/bin/node" "$root/bin/run.js" "$@"
