# `cai validate` and `cai stats` on the HH-RLHF sample ($HH_SAMPLE, not part of the repository).
# Sourced by tests/cli.sh in its hh_sample mode, which skips when the file is absent.
HH_TMP=$(mktemp -d)

"$CAI" validate --format hh "$HH_SAMPLE" >"$HH_TMP/out"; check "HH sample has defects" 1 $?
grep -c 'error \[empty_chosen\]' "$HH_TMP/out" | grep -qx 3; check "HH sample: 3 empty replies" 0 $?
"$CAI" stats "$HH_SAMPLE" >"$HH_TMP/out"; check "stats on the HH sample" 0 $?
grep -q 'prompt  *1000  *8  *286  *1004  *3053' "$HH_TMP/out"; check "stats prompt lengths" 0 $?

rm -rf "$HH_TMP"
