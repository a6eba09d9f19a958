/* SPDX-License-Identifier: MIT */
/* Tests for the hash module: SHA-256 known answers and deterministic 64-bit hashes. */
#include <cai.h>
#include "hash_int.h"
#include <check.h>
#include <string.h>

Suite *hash_suite(void);

START_TEST(sha256_matches_known_answer)
{
    char hex[65];

    cai_sha256_hex("abc", 3, hex);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

START_TEST(sha256_incremental_equals_one_shot)
{
    cai_sha256 *h = NULL;
    cai_error err = {0};
    char a[65], b[65];

    ck_assert_int_eq(cai_sha256_create(&h, &err), CAI_OK);
    cai_sha256_update(h, "hello ", 6);
    cai_sha256_update(h, "world", 5);
    cai_sha256_final(h, a);
    cai_sha256_hex("hello world", 11, b);
    ck_assert_str_eq(a, b);
    cai_sha256_free(h);
}
END_TEST

START_TEST(fnv1a32_matches_reference_values)
{
    ck_assert_uint_eq(cai_fnv1a32("", 0), 2166136261u);
    ck_assert_uint_eq(cai_fnv1a32("a", 1), 0xe40c292cu);
}
END_TEST

/* Every byte of every length counts, across the 8- and 16-byte steps the loop takes. */
START_TEST(hash64_mem_depends_on_every_byte_and_the_seed)
{
    unsigned char buf[40];
    size_t len, i;

    for (i = 0; i < sizeof(buf); i++)
        buf[i] = (unsigned char)(i * 37 + 11);
    for (len = 0; len <= sizeof(buf); len++) {
        uint64_t h = cai_hash64_mem(buf, len, 7);

        ck_assert_uint_eq(h, cai_hash64_mem(buf, len, 7));
        ck_assert_uint_ne(h, cai_hash64_mem(buf, len, 8));
        if (len > 0)
            ck_assert_uint_ne(h, cai_hash64_mem(buf, len - 1, 7)); /* the length counts */
        for (i = 0; i < len; i++) {
            buf[i] ^= 1;
            ck_assert_msg(cai_hash64_mem(buf, len, 7) != h, "byte %zu of %zu ignored", i, len);
            buf[i] ^= 1;
        }
    }
    ck_assert_uint_ne(cai_hash64_mem("id-1", 4, 0), cai_hash64("id-1", 4, 0));
}
END_TEST

START_TEST(hash64_depends_on_seed_and_data)
{
    ck_assert(cai_hash64("x", 1, 0) != cai_hash64("x", 1, 1));
    ck_assert(cai_hash64("x", 1, 0) != cai_hash64("y", 1, 0));
    ck_assert(cai_hash64("x", 1, 7) == cai_hash64("x", 1, 7));
}
END_TEST

Suite *hash_suite(void)
{
    Suite *s = suite_create("hash");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, sha256_matches_known_answer);
    tcase_add_test(tc, sha256_incremental_equals_one_shot);
    tcase_add_test(tc, fnv1a32_matches_reference_values);
    tcase_add_test(tc, hash64_depends_on_seed_and_data);
    tcase_add_test(tc, hash64_mem_depends_on_every_byte_and_the_seed);
    suite_add_tcase(s, tc);
    return s;
}
