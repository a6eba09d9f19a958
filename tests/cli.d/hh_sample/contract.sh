# The output contract (tests/contract.py) on the HH-RLHF sample ($HH_SAMPLE, not part of the
# repository): prompt + chosen and prompt + rejected are the two original transcripts of every
# line, and the dataset keeps one schema under `datasets`' block casting. Sourced by tests/cli.sh
# in its hh_sample mode, which skips when the file is absent.
HHC_TMP=$(mktemp -d)
HHC_PY=/usr/bin/python3
[ -x "$HHC_PY" ] || HHC_PY=python3
"$HHC_PY" "$SRC/tests/contract.py" hh-sample "$CAI" "$SRC" "$HHC_TMP" "$HH_SAMPLE" >"$HHC_TMP/out" 2>&1
rc=$?
[ "$rc" = 0 ] || cat "$HHC_TMP/out"
check "contract: the HH-RLHF sample (concatenation, one schema)" 0 "$rc"
rm -rf "$HHC_TMP"
