/* SPDX-License-Identifier: MIT */
/* Several endpoints must serve one model: GET each one's model list before anything is sent. */
#include "judge_int.h"
#include "error_int.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MODELS_MAX_BYTES (1u << 20)

typedef struct models_buf {
    cai_buf b;
    int too_big;
} models_buf;

static size_t on_models(char *data, size_t size, size_t nmemb, void *userdata)
{
    models_buf *m = userdata;
    size_t n = size * nmemb;

    if (m->b.len + n > MODELS_MAX_BYTES) {
        m->too_big = 1;
        return 0;
    }
    return cai_buf__append(&m->b, data, n) == 0 ? n : 0;
}

/* Appends the ids of a {"data": [{"id": ...}]} list (OpenAI, vLLM, llama.cpp, Anthropic) to
 * out as "a", "b"; sets *has when id `model` is among them. -1 when it is not such a list. */
static int
list_ids(const char *body, size_t len, const char *model, int *has, char *out, size_t cap)
{
    cJSON *root = cJSON_ParseWithLength(body, len), *data, *it;
    size_t off = strlen(out);

    data = root ? cJSON_GetObjectItemCaseSensitive(root, "data") : NULL;
    if (!cJSON_IsArray(data)) {
        cJSON_Delete(root);
        return -1;
    }
    cJSON_ArrayForEach(it, data)
    {
        cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");

        if (!cJSON_IsString(id))
            continue;
        if (strcmp(id->valuestring, model) == 0)
            *has = 1;
        if (off < cap)
            off += (size_t)snprintf(out + off, cap - off, "%s\"%.80s\"", off ? ", " : "",
                                    id->valuestring);
    }
    if (off == 0)
        snprintf(out, cap, "no model");
    cJSON_Delete(root);
    return 0;
}

cai_status cai_judge_check_endpoints(cai_judge *j, cai_error *err)
{
    char bad[1024] = "";
    size_t i, off = 0, nbad = 0;
    cai_status st = CAI_OK;

    cai_error__clear(err);
    CAI_ASSERT_ARG(err, j);
    if (j->o.backend == CAI_BACKEND_BUILTIN || j->pool.n < 2)
        return CAI_OK;
    for (i = 0; i < j->pool.n && st == CAI_OK; i++) {
        const char *base = j->base_urls[i];
        size_t blen = strlen(base), n;
        char *url, *shown, ids[384] = "";
        models_buf b = {{0}, 0};
        CURL *e = curl_easy_init();
        CURLcode rc;
        long code = 0;
        int has = 0;

        while (blen > 0 && base[blen - 1] == '/')
            blen--;
        n = blen + 16;
        url = malloc(n);
        if (!e || !url) {
            curl_easy_cleanup(e);
            free(url);
            return cai_error__set(err, CAI_ENOMEM, "out of memory");
        }
        snprintf(url, n, "%.*s%s", (int)blen, base,
                 j->o.backend == CAI_BACKEND_ANTHROPIC ? "/v1/models" : "/models");
        shown = cai_url_redact(url);
        curl_easy_setopt(e, CURLOPT_URL, url);
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, j->headers); /* the key, as for requests */
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(e, CURLOPT_USERAGENT, "cai/" CAI_VERSION);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_models);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(fmin(j->o.timeout_s, 10.0) * 1000.0 + 0.5));
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
        if (j->ca_bundle)
            curl_easy_setopt(e, CURLOPT_CAINFO, j->ca_bundle);
        rc = curl_easy_perform(e);
        if (rc == CURLE_OK)
            curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
        if (rc != CURLE_OK)
            st = cai_error__set(err, CAI_ETRANSPORT,
                                "judge: endpoint %s: cannot list its models: %s (is it running?)",
                                shown ? shown : "?", curl_easy_strerror(rc));
        else if (code == 404)
            ; /* no model list served there: nothing to compare */
        else if (code < 200 || code >= 300)
            st = cai_error__set(err, CAI_EHTTP, "judge: endpoint %s: HTTP %ld listing its models",
                                shown ? shown : "?", code);
        else if (list_ids(b.b.data ? b.b.data : "", b.b.len, j->model, &has, ids, sizeof(ids)) != 0)
            st = cai_error__set(err, CAI_EHTTP,
                                "judge: endpoint %s: its model list is not {\"data\": [...]}",
                                shown ? shown : "?");
        else if (!has) {
            nbad++;
            if (off < sizeof(bad))
                off += (size_t)snprintf(bad + off, sizeof(bad) - off, "%s%s serves %s",
                                        off ? "; " : "", shown ? shown : "?", ids);
        }
        cai_buf__dispose(&b.b);
        free(url);
        free(shown);
        curl_easy_cleanup(e);
    }
    if (st == CAI_OK && nbad > 0)
        st = cai_error__set(err, CAI_EINVAL,
                            "judge: the endpoints must all serve --model \"%.100s\" (which one "
                            "answers must not change a label), but %zu of %zu do not: %s",
                            j->model, nbad, j->pool.n, bad);
    return st;
}
