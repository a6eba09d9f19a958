/* SPDX-License-Identifier: MIT */
/* Runs one module's Check suite; CMake compiles this once per tests/test_<module>.c. */
#include <check.h>
#include <stdlib.h>

#ifndef CAI_SUITE_FN
#error "CAI_SUITE_FN must name the suite constructor"
#endif

Suite *CAI_SUITE_FN(void);

int main(void)
{
    SRunner *sr = srunner_create(CAI_SUITE_FN());
    int failed;

    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
