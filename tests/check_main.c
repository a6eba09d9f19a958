/* SPDX-License-Identifier: MIT */
/* Runs one module's Check suite; CMake compiles this once per tests/test_<module>.c. */
#include "testutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef CAI_SUITE_FN
#error "CAI_SUITE_FN must name the suite constructor"
#endif

/* ctest's SKIP_RETURN_CODE for the cases whose external data is absent */
#define EXIT_SKIPPED 77

Suite *CAI_SUITE_FN(void);

/*
 * test_<module>            every case except those tagged "hh_sample"
 * test_<module> hh_sample  only those: they read the HH-RLHF sample (tu_hh_sample()), which is
 *                          not part of the repository; exit 77 (skipped) when it is absent
 */
int main(int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL;
    SRunner *sr;
    int failed, ran;

    if (argc > 2 || (only && strcmp(only, "hh_sample") != 0)) {
        fprintf(stderr, "usage: %s [hh_sample]\n", argv[0]);
        return 2;
    }
    if (only && access(tu_hh_sample(), R_OK) != 0) {
        printf("skipped: no HH-RLHF sample at %s (set CAI_HH_SAMPLE=PATH to run these tests)\n",
               tu_hh_sample());
        return EXIT_SKIPPED;
    }
    sr = srunner_create(CAI_SUITE_FN());
    srunner_run_tagged(sr, NULL, NULL, only, only ? NULL : "hh_sample", CK_ENV);
    failed = srunner_ntests_failed(sr);
    ran = srunner_ntests_run(sr);
    srunner_free(sr);
    if (only && ran == 0) {
        printf("no case of this suite is tagged %s\n", only);
        return EXIT_FAILURE;
    }
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
