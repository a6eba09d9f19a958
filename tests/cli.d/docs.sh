# The README's examples run the binary that the quick start builds, and the quick start says
# where it is. Sourced by tests/cli.sh.
QS_DIR=$(sed -n 's/^cmake -S \. -B \([^ ]*\) .*/\1/p' "$SRC/scripts/quickstart.sh" | head -n 1)
[ -n "$QS_DIR" ]; check "quickstart build directory found" 0 $?
grep -q "^echo .*\./$QS_DIR/cai" "$SRC/scripts/quickstart.sh"; check "quickstart prints the binary" 0 $?
[ "$(grep -ohE '\./build[A-Za-z0-9_-]*/cai\b' "$SRC/README.md" "$SRC"/docs/*.md | sort -u)" = "./$QS_DIR/cai" ]
check "README and docs examples use ./$QS_DIR/cai" 0 $?
