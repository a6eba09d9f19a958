# Candidate ids of any length the reader accepts: "ID#I-J" is built without a fixed buffer, so
# long ids neither collide nor get cut. Sourced by tests/cli.sh.
LI_TMP=$(mktemp -d)
li_id() { head -c "$1" /dev/zero | tr '\0' 'x'; }
for n in 700 5000; do
    printf '{"id":"%s","prompt":"p%s","responses":["alpha one","beta two is longer","gamma"]}\n' \
        "$(li_id "$n")" "$n" >>"$LI_TMP/c.jsonl"
done
"$CAI" run -i "$LI_TMP/c.jsonl" -c "$SRC/constitution/hhh.json" -o "$LI_TMP/out" --keep-ties \
    --quiet 2>"$LI_TMP/err"
check "candidates with 700- and 5000-character ids" 0 $?
# every pair of both records is in the dataset under its full id (3 pairs each)
for n in 700 5000; do
    for p in 0-1 0-2 1-2; do
        gzip -dc "$LI_TMP"/out/data/*.jsonl.gz "$LI_TMP/out/failed.jsonl.gz" |
            grep -q "\"id\":\"$(li_id "$n")#$p\""
        check "long id $n#$p kept whole" 0 $?
    done
done
rm -rf "$LI_TMP"
