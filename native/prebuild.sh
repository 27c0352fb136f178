#!/usr/bin/env bash
# npm run prebuild: N-API prebuilds for linux-x64 and (with Debian's g++-aarch64-linux-gnu)
# linux-arm64, built with old symbol versions (RTIMER_PREBUILD=1), then the glibc each one needs.
# Built in a scratch copy, so the build/ of this checkout is left as it is.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$root/package.json" "$root/binding.gyp" "$root/native" "$work/"
ln -s "$root/node_modules" "$work/node_modules"
cd "$work"
export RTIMER_PREBUILD=1
prebuildify="$root/node_modules/.bin/prebuildify"
quiet() { "$@" >"$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }; }
quiet "$prebuildify" --napi --strip --tag-libc
if command -v aarch64-linux-gnu-g++ >/dev/null; then
  CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ PREBUILD_STRIP_BIN=aarch64-linux-gnu-strip \
    quiet "$prebuildify" --napi --strip --tag-libc --arch arm64
else
  echo "prebuild: aarch64-linux-gnu-g++ not found (Debian: g++-aarch64-linux-gnu); linux-arm64 left out" >&2
fi
rm -rf "$root/prebuilds"
cp -r prebuilds "$root/prebuilds"
cd "$root"
for f in prebuilds/*/*.node; do
  need=$(objdump -T "$f" | grep -oE 'GLIBC_[0-9.]+' | sort -uV | tail -n 1)
  cxx=$(objdump -T "$f" | grep -oE 'GLIBCXX_[0-9.]+' | sort -uV | tail -n 1)
  echo "prebuild: $f needs ${need:-no GLIBC} and ${cxx:-no GLIBCXX}"
done
