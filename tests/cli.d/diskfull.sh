# A full disk (RLIMIT_FSIZE, with SIGXFSZ ignored so writes fail with EFBIG): a clear error,
# nothing under a final name, a journal that stays readable, and a resume that ends with the
# same bytes as an uninterrupted run. Sourced by tests/cli.sh.
DF_TMP=$(mktemp -d)
DF_ARGS=(-i "$SRC/datasets/samples/pairs.jsonl" -c "$SRC/constitution/hhh.json" --quiet)
(trap '' XFSZ; ulimit -f 40; "$CAI" run "${DF_ARGS[@]}" -o "$DF_TMP/full") 2>"$DF_TMP/err"
check "disk full exits 2" 2 $?
grep -q "journal.cai: File too large" "$DF_TMP/err"; check "disk full names the file" 0 $?
[ ! -e "$DF_TMP/full/manifest.json" ] && [ ! -e "$DF_TMP/full/data/train-00000-of-00001.jsonl.gz" ]
check "disk full leaves nothing under a final name" 0 $?
"$CAI" run "${DF_ARGS[@]}" -o "$DF_TMP/full"; check "resume after space is back" 0 $?
"$CAI" run "${DF_ARGS[@]}" -o "$DF_TMP/ref"; check "reference run" 0 $?
cmp -s "$DF_TMP/full/data/train-00000-of-00001.jsonl.gz" "$DF_TMP/ref/data/train-00000-of-00001.jsonl.gz"
check "resumed dataset equals the uninterrupted one" 0 $?
rm -rf "$DF_TMP"
