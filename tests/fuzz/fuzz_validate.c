/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the dataset manifest reader behind cai_validate (manifest.json in a dir). */
/*
 * Each input becomes the manifest.json of a fresh dataset directory that also holds a small
 * valid shard, data/train-00000-of-00001.jsonl, and an unlisted data/extra.jsonl, so entries
 * that name them (or "./data/...", "../x", absolute paths, directories) reach the integrity
 * checks. The report is rendered as text and JSON and must count what it keeps.
 */
#include "cai/validate.h"
#include "fuzz_util.h"

#include <sys/stat.h>

static const char shard[] =
    "{\"prompt\":\"Which is bigger?\",\"chosen\":\"The sun.\",\"rejected\":\"The moon, by far.\"}\n"
    "{\"prompt\":\"Say hi.\",\"chosen\":\"Hi there!\",\"rejected\":\"No.\"}\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char dir[256], sub[320], man[320], f1[400], f2[400];
    cai_validate_opts o = CAI_VALIDATE_OPTS_INIT;
    cai_report *r = NULL;
    cai_error err = {0};
    const char *paths[1];
    char *text, *json;
    size_t i, n;

    if (fz_mkdtemp(dir, sizeof(dir)) != 0)
        return 0;
    sub[0] = man[0] = f1[0] = f2[0] = '\0';
    if (!fz_join(sub, sizeof(sub), dir, "data") || mkdir(sub, 0700) != 0 ||
        !fz_join(man, sizeof(man), dir, "manifest.json") ||
        !fz_join(f1, sizeof(f1), sub, "train-00000-of-00001.jsonl") ||
        !fz_join(f2, sizeof(f2), sub, "extra.jsonl") || fz_write(man, data, size) != 0 ||
        fz_write(f1, shard, sizeof(shard) - 1) != 0 || fz_write(f2, shard, sizeof(shard) - 1) != 0)
        goto out;
    paths[0] = dir;
    o.max_examples = 1 + size % 4;
    if (cai_validate(&r, paths, 1, &o, &err) != CAI_OK) {
        FZ_CHECK(r == NULL && err.msg[0]);
        goto out;
    }
    n = cai_report_nfindings(r);
    FZ_CHECK(n <= cai_report_errors(r) + cai_report_warnings(r));
    for (i = 0; i < n; i++) {
        const cai_finding *f = cai_report_finding(r, i);
        FZ_CHECK(f && f->kind && f->file && f->message);
        FZ_CHECK(cai_report_count(r, f->kind) > 0);
    }
    FZ_CHECK(cai_report_finding(r, n) == NULL);
    FZ_CHECK(cai_report_records(r) <= 4); /* two shards of two records, read at most once */
    text = cai_report_text(r);
    json = cai_report_json(r);
    FZ_CHECK(text && json);
    free(text);
    free(json);
    cai_report_free(r);
out:
    if (f1[0])
        unlink(f1);
    if (f2[0])
        unlink(f2);
    if (man[0])
        unlink(man);
    if (sub[0])
        rmdir(sub);
    rmdir(dir);
    return 0;
}
