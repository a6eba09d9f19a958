#!/usr/bin/env bash
# Checks libcai as others get it: builds a plain release tree, installs it into a temporary
# prefix and, against that prefix only, builds and runs examples/embed.c through pkg-config
# and through find_package(cai), and tests/install/cxx_headers.cpp (every public header from
# C++) once against libcai.a and once against libcai.so. Also checks what is installed (no
# internal header, only cai_* symbols exported, man pages that groff accepts, completions that
# load). Usage: scripts/install_check.sh [BUILD_DIR] (default build-install; reused).
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
build=${1:-build-install}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
fail() { echo "install_check: $*" >&2; exit 1; }

echo "== install: build $build, install to a temporary prefix"
# Warnings are errors here too: an optimised build sees warnings the ASan build does not.
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAI_WERROR=ON -DCAI_TESTS=OFF \
      -DCAI_SANITIZE=OFF -DCAI_SHARED=ON >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
cmake --install "$build" --prefix "$prefix" >/dev/null

pc=$(find "$prefix" -name cai.pc)
[ -n "$pc" ] || fail "no cai.pc installed"
libdir=$(dirname "$(dirname "$pc")")
for f in bin/cai include/cai.h include/cai/common.h include/cai/version.h \
         share/man/man1/cai.1 share/man/man1/cai-run.1 share/man/man1/cai-judge.1 \
         share/man/man1/cai-validate.1 share/man/man1/cai-stats.1 \
         share/man/man1/cai-constitution.1 share/bash-completion/completions/cai \
         share/zsh/site-functions/_cai; do
    [ -e "$prefix/$f" ] || fail "not installed: $f"
done
for f in libcai.a libcai.so libcai.so.0 cmake/cai/cai-config.cmake; do
    [ -e "$libdir/$f" ] || fail "not installed: lib/$f"
done
[ -z "$(find "$prefix/include" -name '*_int.h')" ] || fail "an internal header is installed"
[ ! -e "$prefix/include/cai/hash.h" ] || fail "cai/hash.h (internal) is installed"
[ "$("$prefix/bin/cai" --version)" = "cai $(sed -n 's/^#define CAI_VERSION *"\(.*\)"/\1/p' include/cai/version.h)" ] ||
    fail "cai --version differs from include/cai/version.h"

echo "== exported symbols of libcai.so: only the public headers' functions"
bad=$(nm -D --defined-only "$libdir/libcai.so" | awk '{print $3}' | grep -v '^cai_[a-z0-9_]*$' || true)
bad="$bad$(nm -D --defined-only "$libdir/libcai.so" | awk '{print $3}' | grep '__' || true)"
[ -z "$bad" ] || fail "unexpected exported symbols: $bad"
# ... and each of them is a function the installed headers declare.
declared=$(cat "$prefix"/include/cai.h "$prefix"/include/cai/*.h | grep -o 'cai_[a-z0-9_]*(' | tr -d '(' | sort -u)
undeclared=$(nm -D --defined-only "$libdir/libcai.so" | awk '{print $3}' | sort -u |
             comm -23 - <(echo "$declared"))
[ -z "$undeclared" ] || fail "exported but in no public header: $undeclared"

export PKG_CONFIG_PATH=$libdir/pkgconfig
cflags=$(pkg-config --cflags cai)
case "$cflags" in *-W* | *_POSIX_C_SOURCE*) fail "pkg-config leaks build flags: $cflags" ;; esac

echo "== examples/embed.c via pkg-config"
cc -std=c11 -Wall -Wextra -Wpedantic -Werror examples/embed.c -o "$tmp/embed" \
   $cflags $(pkg-config --libs cai) -Wl,-rpath,"$libdir"
"$tmp/embed" | tee "$tmp/embed.out"
[ "$(grep -c '^pair [123]: verdict ' "$tmp/embed.out")" = 3 ] || fail "embed did not label 3 pairs"
# (ldd's output is taken whole first: with pipefail, grep -q closing the pipe early fails it)
deps_of() { ldd "$1"; }
[[ $(deps_of "$tmp/embed") == *"libcai.so.0 => $libdir"* ]] || fail "embed is not linked to libcai.so.0"

echo "== tests/install/cxx_headers.cpp, static and shared"
# every installed header is included there, so a new one cannot miss its C linkage
for h in "$prefix"/include/cai/*.h; do
    grep -q "#include <cai/$(basename "$h")>" tests/install/cxx_headers.cpp ||
        fail "tests/install/cxx_headers.cpp does not include cai/$(basename "$h")"
done
cxx="g++ -std=c++11 -Wall -Wextra -Wpedantic -Werror"
# libcai.a with its dependencies (cai.pc's Requires.private) as shared libraries; a fully
# static link (pkg-config --static) would need libcurl's own static dependencies too.
deps=$(pkg-config --print-requires-private cai | awk '{print $1}' | tr '\n' ' ')
static_libs="$libdir/libcai.a $(pkg-config --libs $deps) -lm"
$cxx tests/install/cxx_headers.cpp -o "$tmp/cxx_static" $cflags $static_libs
$cxx tests/install/cxx_headers.cpp -o "$tmp/cxx_shared" $cflags $(pkg-config --libs cai) \
     -Wl,-rpath,"$libdir"
[[ $(deps_of "$tmp/cxx_static") != *libcai* ]] || fail "cxx_static links libcai.so"
[[ $(deps_of "$tmp/cxx_shared") == *"libcai.so.0 => $libdir"* ]] || fail "cxx_shared lacks libcai.so.0"
"$tmp/cxx_static"
"$tmp/cxx_shared"

echo "== find_package(cai) with cai::cai"
mkdir -p "$tmp/consumer"
cat >"$tmp/consumer/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.20)
project(consumer C)
find_package(cai 0.1 REQUIRED)
add_executable(embed "$src/examples/embed.c")
target_link_libraries(embed PRIVATE cai::cai)
add_executable(embed_static "$src/examples/embed.c")
target_link_libraries(embed_static PRIVATE cai::cai_static)
CMAKE
cmake -S "$tmp/consumer" -B "$tmp/consumer/build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$tmp/consumer/build" >/dev/null
"$tmp/consumer/build/embed" >/dev/null
"$tmp/consumer/build/embed_static" >/dev/null

echo "== man pages and completions"
for m in "$prefix"/share/man/man1/*.1; do
    warn=$(groff -ww -man -z "$m" 2>&1) || fail "$m: groff failed"
    [ -z "$warn" ] || fail "$m: $warn"
done
grep -qF -- '\-\-concurrency' "$prefix/share/man/man1/cai-run.1" || fail "cai-run.1 lacks --concurrency"
got=$(bash -c 'source "$1"; COMP_WORDS=(cai run --concu); COMP_CWORD=2; _cai; echo "${COMPREPLY[*]}"' \
      _ "$prefix/share/bash-completion/completions/cai")
[ "$got" = "--concurrency" ] || fail "bash completion of 'cai run --concu' gave '$got'"
got=$(bash -c 'source "$1"; COMP_WORDS=(cai va); COMP_CWORD=1; _cai; echo "${COMPREPLY[*]}"' \
      _ "$prefix/share/bash-completion/completions/cai")
[ "$got" = "validate" ] || fail "bash completion of 'cai va' gave '$got'"
[ "$(head -1 "$prefix/share/zsh/site-functions/_cai")" = "#compdef cai" ] || fail "_cai: no #compdef"
echo "install_check: OK"
