/* SPDX-License-Identifier: MIT */
/* Tests for the util layer's one copy of each primitive: the byte buffer, the hash table, the
 * UTF-8 decoder, the path joiner and the clocks. */
#include <cai.h>
#include "htab_int.h"
#include "idset_int.h"
#include "jsonraw_int.h"
#include "util_int.h"
#include "testutil.h"
#include <check.h>
#include <stdlib.h>
#include <inttypes.h>
#include <string.h>

Suite *util_suite(void);

/* ---- the byte buffer ---- */

START_TEST(buf_appends_bytes_and_keeps_a_nul_after_them)
{
    cai_buf b = {0};
    size_t i;

    ck_assert_int_eq(cai_buf__append(&b, "ab\0c", 4), 0);
    ck_assert_uint_eq(b.len, 4);
    ck_assert_int_eq(memcmp(b.data, "ab\0c", 5), 0); /* the NUL after the 4 bytes */
    for (i = 0; i < 10000; i++)                      /* grows past its first capacity */
        ck_assert_int_eq(cai_buf__append(&b, "xyz", 3), 0);
    ck_assert_uint_eq(b.len, 4 + 30000);
    ck_assert_int_eq(b.data[b.len], '\0');
    ck_assert_int_eq(memcmp(b.data + b.len - 3, "xyz", 3), 0);
    ck_assert_int_eq(cai_buf__reserve(&b, 1000000), 0);
    ck_assert_uint_ge(b.cap, b.len + 1000000 + 1);
    ck_assert_int_eq(cai_buf__reserve(&b, SIZE_MAX), -1); /* overflow: refused, unchanged */
    ck_assert_uint_eq(b.len, 4 + 30000);
    cai_buf__dispose(&b);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
    cai_buf__dispose(NULL);
}
END_TEST

START_TEST(buf_puts_integers_as_printf_would)
{
    static const uint64_t v[] = {0, 7, 10, 4294967295u, 1234567890123456789u, UINT64_MAX};
    cai_buf b = {0};
    size_t i;

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        char want[64];

        b.len = 0;
        cai_buf__put_uint(&b, v[i]);
        cai_buf__put(&b, " ", 1);
        cai_buf__put_hex64(&b, v[i]);
        snprintf(want, sizeof(want), "%" PRIu64 " %016" PRIx64, v[i], v[i]);
        ck_assert_str_eq(b.data, want);
    }
    cai_buf__dispose(&b);
}
END_TEST

START_TEST(buf_builds_text_and_hands_it_over)
{
    cai_buf b = {0};
    char *s;

    cai_buf__puts(&b, "n=");
    cai_buf__printf(&b, "%d %s", 42, "ok");
    cai_buf__put(&b, "!?", 1);
    s = cai_buf__take(&b);
    ck_assert_str_eq(s, "n=42 ok!");
    ck_assert_ptr_null(b.data);
    free(s);
    s = cai_buf__take(&b); /* nothing added: "" rather than NULL */
    ck_assert_str_eq(s, "");
    free(s);
}
END_TEST

/* ---- the hash table ---- */

typedef struct kv {
    uint64_t key;
    uint64_t value;
} kv;

/* Adds n distinct fingerprints (hash of "id<i>"), then `twin`'s again at the end when twin >= 0;
 * returns finish's answer (add must never see the late twin when the table has spilled). */
static int idset_with_twin(size_t cap, size_t n, long twin, size_t *runs, uint64_t *dup)
{
    cai_idset *s = NULL;
    cai_error err = {0};
    char id[32];
    size_t i;
    int rc;

    ck_assert_int_eq(cai_idset__create(&s, cap, &err), CAI_OK);
    for (i = 0; i < n; i++) {
        snprintf(id, sizeof(id), "id%zu", i);
        ck_assert_int_eq(cai_idset__add(s, cai_idset__hash(id, strlen(id)), &err), 0);
    }
    if (twin >= 0) {
        snprintf(id, sizeof(id), "id%ld", twin);
        ck_assert_int_eq(cai_idset__add(s, cai_idset__hash(id, strlen(id)), &err),
                         n - (size_t)twin <= n % cap ? 1 : 0);
    }
    rc = cai_idset__finish(s, dup, &err);
    ck_assert_int_ge(rc, 0);
    *runs = cai_idset__runs(s);
    cai_idset__free(s);
    return rc;
}

START_TEST(idset_finds_a_duplicate_in_memory_or_across_spilled_runs)
{
    size_t runs;
    uint64_t dup = 0;
    cai_idset *s = NULL;
    cai_error err = {0};

    /* all distinct, 10,000 through a table of 16: 625 sorted runs merged, no duplicate */
    ck_assert_int_eq(idset_with_twin(16, 10000, -1, &runs, &dup), 0);
    ck_assert_uint_eq(runs, 625);
    /* the twin of the first id, 10,000 ids later: found only by the merge, and which one */
    ck_assert_int_eq(idset_with_twin(16, 10000, 0, &runs, &dup), 1);
    ck_assert_uint_eq(dup, cai_idset__hash("id0", 3));
    /* the twin of an id in the last full run, added into a fresh table */
    ck_assert_int_eq(idset_with_twin(16, 10000, 9990, &runs, &dup), 1);
    ck_assert_uint_eq(dup, cai_idset__hash("id9990", 6));
    /* a twin still in memory is found at once (add returns 1), as without spilling */
    ck_assert_int_eq(idset_with_twin(16, 10005, 10003, &runs, &dup), 0);
    ck_assert_int_eq(idset_with_twin(1000, 500, 3, &runs, &dup), 0);
    ck_assert_uint_eq(runs, 0);
    ck_assert_int_eq(cai_idset__create(&s, 15, &err), CAI_EINVAL);
    ck_assert_ptr_null(s);
}
END_TEST

START_TEST(htab_finds_every_key_after_growing)
{
    cai_htab t;
    uint64_t i, k;
    int found;
    kv *s;

    cai_htab__init(&t, sizeof(kv), sizeof(uint64_t));
    k = 5;
    ck_assert_ptr_null(cai_htab__find(&t, &k)); /* empty, nothing allocated */
    for (i = 1; i <= 30000; i++) {
        k = i * 0x9e3779b97f4a7c15ULL;
        s = cai_htab__insert(&t, &k, &found);
        ck_assert_ptr_nonnull(s);
        ck_assert_int_eq(found, 0);
        ck_assert_uint_eq(s->key, k);
        ck_assert_uint_eq(s->value, 0); /* a new slot is zero past the key */
        s->value = i;
    }
    ck_assert_uint_eq(t.count, 30000);
    ck_assert_uint_le(t.count * 4, t.cap * 3); /* at most 3/4 full */
    for (i = 1; i <= 30000; i++) {
        k = i * 0x9e3779b97f4a7c15ULL;
        s = cai_htab__find(&t, &k);
        ck_assert_ptr_nonnull(s);
        ck_assert_uint_eq(s->value, i);
        ck_assert_ptr_eq(cai_htab__insert(&t, &k, &found), s);
        ck_assert_int_eq(found, 1);
        k += 1; /* not a key */
        ck_assert_ptr_null(cai_htab__find(&t, &k));
    }
    for (i = 0, k = 0; i < t.cap; i++)
        k += cai_htab__at(&t, i) != NULL;
    ck_assert_uint_eq(k, 30000);
    ck_assert_uint_eq(cai_htab__bytes(&t), t.cap * sizeof(kv));
    cai_htab__clear(&t);
    ck_assert_uint_eq(t.count, 0);
    k = 0x9e3779b97f4a7c15ULL;
    ck_assert_ptr_null(cai_htab__find(&t, &k));
    cai_htab__dispose(&t);
    ck_assert_uint_eq(t.cap, 0);
}
END_TEST

typedef struct kv2 {
    uint64_t k[2];
    int v;
} kv2;

START_TEST(htab_tells_128_bit_keys_apart_by_either_half)
{
    cai_htab t;
    uint64_t a[2] = {7, 1}, b[2] = {7, 2}, c[2] = {0, 3};
    int found;
    kv2 *s;

    cai_htab__init(&t, sizeof(kv2), 2 * sizeof(uint64_t));
    ck_assert_ptr_nonnull(s = cai_htab__insert(&t, a, &found));
    s->v = 1;
    ck_assert_ptr_nonnull(s = cai_htab__insert(&t, b, &found));
    ck_assert_int_eq(found, 0); /* same first half, another key */
    s->v = 2;
    ck_assert_ptr_nonnull(s = cai_htab__insert(&t, c, &found)); /* a zero half is fine */
    ck_assert_int_eq(found, 0);
    s->v = 3;
    ck_assert_int_eq(((kv2 *)cai_htab__find(&t, a))->v, 1);
    ck_assert_int_eq(((kv2 *)cai_htab__find(&t, b))->v, 2);
    ck_assert_int_eq(((kv2 *)cai_htab__find(&t, c))->v, 3);
    ck_assert_uint_eq(t.count, 3);
    cai_htab__dispose(&t);
}
END_TEST

/* A ref table over an array of keys: key i of refs 1..n is keys[ref - 1]. */
static uint64_t ref_key(const void *ctx, uint32_t ref)
{
    return ((const uint64_t *)ctx)[ref - 1];
}

START_TEST(htab_ref_table_groups_refs_by_the_callers_keys_after_growing)
{
    enum { N = 30000 };
    uint64_t *keys = malloc(N * sizeof(*keys));
    unsigned *seen = calloc(N + 1, sizeof(*seen));
    cai_htab t;
    uint32_t r, i;
    size_t pos = 0, cap1;

    ck_assert_ptr_nonnull(keys);
    ck_assert_ptr_nonnull(seen);
    /* three refs a key (so groups overlap runs), and key 0 is an ordinary key here */
    for (i = 0; i < N; i++)
        keys[i] = (uint64_t)(i / 3) * 0x9e3779b97f4a7c15ULL;
    cai_htab__init_ref(&t, ref_key, keys);
    ck_assert_uint_eq(cai_htab__next_ref(&t, keys[0], &pos), 0); /* empty, nothing allocated */
    ck_assert_ptr_null(cai_htab__find(&t, &keys[0]));            /* not a keyed table */
    ck_assert_int_eq(cai_htab__add_ref(&t, 0), -1);              /* 0 marks an empty slot */
    ck_assert_int_eq(cai_htab__add_ref(&t, 1), 0);
    cap1 = t.cap;
    for (i = 2; i <= N; i++)
        ck_assert_int_eq(cai_htab__add_ref(&t, i), 0);
    ck_assert_uint_eq(t.count, N);
    /* grown by half at 4/5, not doubled: 4-byte slots, at most 7.5 bytes a ref */
    ck_assert_uint_eq(t.slot_size, 4);
    ck_assert_uint_gt(t.cap, cap1);
    ck_assert_uint_le(t.count * 5, t.cap * 4);
    ck_assert_uint_ge(t.count * 15, t.cap * 8);
    ck_assert_uint_le(cai_htab__bytes(&t) * 2, (size_t)N * 15);
    for (i = 0; i < N; i += 3) {
        unsigned got = 0;

        pos = 0;
        while ((r = cai_htab__next_ref(&t, keys[i], &pos)) != 0) {
            ck_assert_uint_eq(keys[r - 1], keys[i]); /* only its own group */
            ck_assert_uint_eq((r - 1) / 3, i / 3);
            seen[r]++;
            got++;
        }
        ck_assert_uint_eq(got, 3);
        ck_assert_uint_eq(cai_htab__next_ref(&t, keys[i], &pos), 0); /* ended stays ended */
    }
    for (i = 1; i <= N; i++)
        ck_assert_uint_eq(seen[i], 1);
    pos = 0;
    ck_assert_uint_eq(cai_htab__next_ref(&t, 12345, &pos), 0); /* a key nobody has */
    cai_htab__dispose(&t);
    ck_assert_uint_eq(t.cap, 0);
    free(seen);
    free(keys);
}
END_TEST

/* ---- UTF-8 ---- */

START_TEST(utf8_decodes_each_length_and_its_code_point)
{
    uint32_t cp = 0;

    ck_assert_uint_eq(cai_utf8__decode((const unsigned char *)"A", 1, &cp), 1);
    ck_assert_uint_eq(cp, 0x41);
    ck_assert_uint_eq(cai_utf8__decode((const unsigned char *)"\xc3\xa9", 2, &cp), 2);
    ck_assert_uint_eq(cp, 0xE9);
    ck_assert_uint_eq(cai_utf8__decode((const unsigned char *)"\xe2\x82\xac", 3, &cp), 3);
    ck_assert_uint_eq(cp, 0x20AC);
    ck_assert_uint_eq(cai_utf8__decode((const unsigned char *)"\xf0\x9f\x98\x80", 4, &cp), 4);
    ck_assert_uint_eq(cp, 0x1F600);
    ck_assert_uint_eq(cai_utf8__decode((const unsigned char *)"\xf4\x8f\xbf\xbf", 4, &cp), 4);
    ck_assert_uint_eq(cp, 0x10FFFF);
    ck_assert_uint_eq(cai_utf8__decode((const unsigned char *)"\xed\x9f\xbf", 3, NULL), 3);
}
END_TEST

START_TEST(utf8_rejects_every_kind_of_ill_formed_sequence)
{
    static const char *const bad[] = {
        "\x80",             /* stray continuation byte */
        "\xc0\xaf",         /* overlong, C0 */
        "\xc1\xbf",         /* overlong, C1 */
        "\xe0\x9f\xbf",     /* overlong three-byte form */
        "\xf0\x8f\xbf\xbf", /* overlong four-byte form */
        "\xed\xa0\x80",     /* UTF-16 surrogate U+D800 */
        "\xf4\x90\x80\x80", /* above U+10FFFF */
        "\xf5\x80\x80\x80", /* F5..FF never appear */
        "\xe2\x82",         /* cut short */
        "\xe2\x28\xa1",     /* continuation byte missing */
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(cai_utf8__decode((const unsigned char *)bad[i], strlen(bad[i]), NULL) == 0,
                      "case %zu", i);
}
END_TEST

START_TEST(utf8_invalid_at_points_at_the_first_bad_byte)
{
    const char ok[] = "plain ASCII text that is longer than eight bytes, caf\xc3\xa9 \xe2\x82\xac";
    char s[64];

    ck_assert_uint_eq(cai_utf8__invalid_at(ok, strlen(ok)), strlen(ok));
    ck_assert_uint_eq(cai_utf8__invalid_at("", 0), 0);
    memcpy(s, "0123456789abcdef\xff", 17); /* after two 8-byte ASCII words */
    ck_assert_uint_eq(cai_utf8__invalid_at(s, 17), 16);
    memcpy(s,
           "0123456\0"
           "89",
           10); /* NUL inside a word */
    ck_assert_uint_eq(cai_utf8__invalid_at(s, 10), 7);
    memcpy(s, "abc\xc3\xa9xyz\xe2\x82", 11); /* a sequence cut by the end */
    ck_assert_uint_eq(cai_utf8__invalid_at(s, 11), 8);
    ck_assert_uint_eq(cai_utf8__chars(ok, strlen(ok)), strlen(ok) - 1 - 2); /* é: 2, €: 3 bytes */
}
END_TEST

/* Characters are counted 8 bytes at a time: every byte value at every position of a word, and
 * every length, counts as the byte-wise rule (a byte 10xxxxxx continues a character). */
START_TEST(utf8_chars_counts_as_the_bytewise_rule)
{
    unsigned char s[24];
    size_t len, pos, i, want;
    unsigned v;

    for (v = 0; v < 256; v++) {
        for (pos = 0; pos < 20; pos++) {
            for (i = 0; i < sizeof(s); i++)
                s[i] = (unsigned char)(i % 3 == 0 ? 0xe2 : i % 3 == 1 ? 0x80 : 'a');
            s[pos] = (unsigned char)v;
            for (len = pos; len <= 20; len += 3) {
                for (want = 0, i = 0; i < len; i++)
                    want += (s[i] & 0xC0) != 0x80;
                ck_assert_msg(cai_utf8__chars(s, len) == want, "byte %u at %zu of %zu", v, pos,
                              len);
            }
        }
    }
}
END_TEST

/* ASCII runs between multi-byte characters go a block or a word at a time up to the first byte
 * that is not plain ASCII: a bad byte (a stray continuation, 0xff, NUL) at each ASCII position of
 * such a text is reported exactly there. */
START_TEST(utf8_invalid_at_finds_a_bad_byte_at_every_position_of_mixed_text)
{
    static const char mixed[] = "ab\xc3\xa9"
                                "cdefgh\xe2\x82\xac"
                                "ijklmnopq\xc3\xa9"
                                "rstuvwxyz0123456789\xc3\xa9"
                                "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"; /* 3 blocks */
    static const unsigned char bad[] = {0x80, 0xff, 0x00};
    char s[sizeof(mixed)];
    size_t i, k, n = sizeof(mixed) - 1;

    ck_assert_uint_eq(cai_utf8__invalid_at(mixed, n), n);
    for (i = 0; i < n; i++) {
        if ((unsigned char)mixed[i] >= 0x80)
            continue;
        for (k = 0; k < sizeof(bad); k++) {
            memcpy(s, mixed, sizeof(mixed));
            s[i] = (char)bad[k];
            ck_assert_msg(cai_utf8__invalid_at(s, n) == i, "byte 0x%02x at %zu: reported at %zu",
                          bad[k], i, cai_utf8__invalid_at(s, n));
        }
    }
}
END_TEST

/* ---- paths and clocks ---- */

START_TEST(json_members_are_the_spans_of_the_text_even_beyond_rfc_8259_white_space)
{
    /* a form feed and a vertical tab around members (cJSON's white space), an escaped quote in
     * a key, nested values and a number kept as written */
    static const char t[] =
        "\f{ \"a\\\"b\" :\v[1, {\"x\": \"}\"}] ,\"n\":1.50E+3\f,\"s\":\"q\\\"\"}\n";
    cai_jspan sp[4];
    long n = cai_json__members(t, strlen(t), sp, 4);

    ck_assert_int_eq(n, 3);
    ck_assert_int_eq((int)sp[0].key_len, 6);
    ck_assert(memcmp(t + sp[0].key, "\"a\\\"b\"", 6) == 0);
    ck_assert_int_eq((int)sp[0].val_len, (int)strlen("[1, {\"x\": \"}\"}]"));
    ck_assert(memcmp(t + sp[0].val, "[1, {\"x\": \"}\"}]", sp[0].val_len) == 0);
    ck_assert(memcmp(t + sp[1].val, "1.50E+3", 7) == 0 && sp[1].val_len == 7);
    ck_assert(memcmp(t + sp[2].val, "\"q\\\"\"", 5) == 0 && sp[2].val_len == 5);
    ck_assert_int_eq(cai_json__members(t, strlen(t), sp, 2), 2); /* at most max */
    ck_assert_int_eq(cai_json__members("[1]", 3, sp, 4), -1);    /* not an object */
    ck_assert_int_eq(cai_json__members(" {}", 3, sp, 4), 0);
}
END_TEST

START_TEST(json_signature_lists_each_path_and_type_once_sorted)
{
    static const char t[] = "{\"b\":[{\"x\":1},{\"x\":2.5},{}],\"a\":\"s\",\"c\":[true,null],"
                            "\"d\":{},\"e\":[],\"a\\u0041\":-3e2}";
    char *sig = cai_json__signature(t, strlen(t));

    ck_assert_ptr_nonnull(sig);
    ck_assert_str_eq(sig, ".a=s\n.a\\u0041=f\n.b[].x=f\n.b[].x=i\n.b[]=o\n.c[]=b\n.c[]=n\n.d=o\n"
                          ".e=l\n");
    free(sig);
    sig = cai_json__signature(" 7 ", 3);
    ck_assert_str_eq(sig, "=i\n");
    free(sig);
}
END_TEST

START_TEST(jsig_reuses_a_signature_only_for_entries_in_the_same_order)
{
    static const char *rec[] = {
        "{\"a\":\"x\",\"b\":1}",   /* the first */
        "{\"a\":\"yy\",\"b\":22}", /* the same entries: the last signature */
        "{\"b\":3,\"a\":\"z\"}",   /* another order, the same signature */
        "{\"a\":\"x\",\"b\":1.5}", /* a float now */
        "{\"a\":\"x\",\"b\":1.5}", /* ... again */
        "{\"a\":\"x\",\"b\":1}",   /* back to the first */
        "{\"a\":[1,2],\"b\":1}",   /* duplicates removed */
        "{\"a\":[3],\"b\":1}",     /* other entries, the same signature */
        "{\"a\":[],\"b\":1}",      /* an empty list */
    };
    static const char *want[] = {
        ".a=s\n.b=i\n", ".a=s\n.b=i\n",   ".a=s\n.b=i\n",   ".a=s\n.b=f\n", ".a=s\n.b=f\n",
        ".a=s\n.b=i\n", ".a[]=i\n.b=i\n", ".a[]=i\n.b=i\n", ".a=l\n.b=i\n",
    };
    cai_jsig s = {0};
    size_t i;

    for (i = 0; i < sizeof(rec) / sizeof(rec[0]); i++) {
        const char *sig = cai_jsig__of(&s, rec[i], strlen(rec[i]));
        char *alone = cai_json__signature(rec[i], strlen(rec[i]));

        ck_assert_ptr_nonnull(sig);
        ck_assert_msg(strcmp(sig, want[i]) == 0, "record %zu: %s", i, sig);
        ck_assert_str_eq(sig, alone); /* the same as computed afresh */
        free(alone);
    }
    ck_assert_str_eq(cai_jsig__of(&s, "   ", 3), ""); /* no value: no entry */
    cai_jsig__dispose(&s);
}
END_TEST

START_TEST(write_atomic_replaces_the_file_and_leaves_no_temporary)
{
    char *dir = tu_mkdtemp("atomic"), *path = tu_strdupf("%s/out.json", dir), *got;
    char *missing = tu_strdupf("%s/no-such-dir/out.json", dir);
    cai_error err = {0};
    size_t len;

    ck_assert_int_eq(cai__write_atomic_path(path, "first\n", 6, &err), CAI_OK);
    ck_assert_int_eq(cai__write_atomic(dir, "out.json", "second", 6, &err), CAI_OK);
    got = tu_read_file(path, &len);
    ck_assert_uint_eq(len, 6);
    ck_assert(memcmp(got, "second", 6) == 0);
    free(got);
    ck_assert_int_eq(tu_count_entries(dir), 1); /* no temporary left beside it */
    ck_assert_int_eq(cai__write_atomic_path(missing, "x", 1, &err), CAI_EIO);
    ck_assert_ptr_nonnull(strstr(err.msg, "no-such-dir"));
    ck_assert_int_eq(tu_count_entries(dir), 1);
    tu_rmtree(dir);
    free(missing);
    free(path);
    free(dir);
}
END_TEST

START_TEST(path_join_puts_one_slash_between)
{
    static const char *const cases[][3] = {
        {"out", "data", "out/data"},
        {"out/", "data", "out/data"},
        {"out//", "journal.cai", "out/journal.cai"},
        {"/", "etc", "/etc"},
        {"a/b", "c.jsonl", "a/b/c.jsonl"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *p = cai__path_join(cases[i][0], cases[i][1]);
        ck_assert_str_eq(p, cases[i][2]);
        free(p);
    }
}
END_TEST

START_TEST(clocks_move_forward_and_wall_is_the_epoch)
{
    double m0 = cai__mono_s(), m1, w = cai__wall_s();
    uint64_t ns = cai__wall_ns();

    m1 = cai__mono_s();
    ck_assert(m1 >= m0);
    ck_assert(w > 1.6e9); /* after 2020 */
    ck_assert(ns / 1000000000u >= (uint64_t)w - 1);
}
END_TEST

Suite *util_suite(void)
{
    Suite *s = suite_create("util");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, buf_appends_bytes_and_keeps_a_nul_after_them);
    tcase_add_test(tc, buf_builds_text_and_hands_it_over);
    tcase_add_test(tc, buf_puts_integers_as_printf_would);
    tcase_add_test(tc, idset_finds_a_duplicate_in_memory_or_across_spilled_runs);
    tcase_add_test(tc, htab_finds_every_key_after_growing);
    tcase_add_test(tc, htab_tells_128_bit_keys_apart_by_either_half);
    tcase_add_test(tc, htab_ref_table_groups_refs_by_the_callers_keys_after_growing);
    tcase_add_test(tc, utf8_decodes_each_length_and_its_code_point);
    tcase_add_test(tc, utf8_rejects_every_kind_of_ill_formed_sequence);
    tcase_add_test(tc, utf8_invalid_at_points_at_the_first_bad_byte);
    tcase_add_test(tc, utf8_chars_counts_as_the_bytewise_rule);
    tcase_add_test(tc, utf8_invalid_at_finds_a_bad_byte_at_every_position_of_mixed_text);
    tcase_add_test(tc, json_members_are_the_spans_of_the_text_even_beyond_rfc_8259_white_space);
    tcase_add_test(tc, json_signature_lists_each_path_and_type_once_sorted);
    tcase_add_test(tc, jsig_reuses_a_signature_only_for_entries_in_the_same_order);
    tcase_add_test(tc, write_atomic_replaces_the_file_and_leaves_no_temporary);
    tcase_add_test(tc, path_join_puts_one_slash_between);
    tcase_add_test(tc, clocks_move_forward_and_wall_is_the_epoch);
    tcase_set_timeout(tc, 60); /* sanitizer builds on a loaded machine */
    suite_add_tcase(s, tc);
    return s;
}
