/* SPDX-License-Identifier: MIT */
/* Process-wide set-up of the libraries libcai is built on, so that callers need not know them. */
#include "cai/common.h"
#include "error_int.h"

#include <curl/curl.h>

cai_status cai_global_init(cai_error *err)
{
    CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT); /* nests: libcurl counts the calls */

    if (rc != CURLE_OK)
        return cai_error__set(err, rc == CURLE_OUT_OF_MEMORY ? CAI_ENOMEM : CAI_ETRANSPORT,
                              "cannot initialise libcurl: %s", curl_easy_strerror(rc));
    return CAI_OK;
}

void cai_global_cleanup(void)
{
    curl_global_cleanup();
}
