// SPDX-License-Identifier: MIT
// Includes every public header from C++ and calls a function of each: C linkage, no C-only
// constructs outside #ifndef __cplusplus. Built by scripts/install_check.sh against the
// installed static and shared libraries.
#include <cai.h>
#include <cai/agree.h>
#include <cai/agreement.h>
#include <cai/calibrate.h>
#include <cai/common.h>
#include <cai/compare.h>
#include <cai/constitution.h>
#include <cai/health.h>
#include <cai/judge.h>
#include <cai/mix.h>
#include <cai/prompt.h>
#include <cai/record.h>
#include <cai/route.h>
#include <cai/run.h>
#include <cai/revise.h>
#include <cai/sample.h>
#include <cai/shard.h>
#include <cai/validate.h>
#include <cai/verdict.h>
#include <cai/version.h>
#include <cai/writer.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

static_assert(CAI_VERSION_NUM ==
                  ((CAI_VERSION_MAJOR << 16) | (CAI_VERSION_MINOR << 8) | CAI_VERSION_PATCH),
              "cai/version.h");

static int failures = 0;

static void expect(bool ok, const char *what)
{
    if (!ok) {
        std::fprintf(stderr, "cxx_headers: FAILED: %s\n", what);
        failures++;
    }
}

int main()
{
    cai_error err = {};

    // common.h, version.h
    expect(cai_global_init(&err) == CAI_OK, "cai_global_init");
    expect(std::strcmp(cai_version(), CAI_VERSION) == 0, "cai_version() == CAI_VERSION");
    expect(std::strcmp(cai_strerror(CAI_EINVAL), "unknown status") != 0, "cai_strerror");

    // shard.h
    cai_shard sh = {};
    err = cai_error();
    expect(cai_shard_parse(&sh, "1/3", &err) == CAI_OK && sh.index == 1 && sh.count == 3,
           "cai_shard_parse");
    expect(cai_shard_of("a prompt", 1) == 0, "cai_shard_of");

    // route.h, mix.h
    expect(cai_route_by_parse("random") == CAI_ROUTE_RANDOM, "cai_route_by_parse");
    expect(cai_route_swapped(1, "x") == cai_route_swapped(1, "x"), "cai_route_swapped");
    cai_mix_report mr = {};
    char *mj = cai_mix_report_json(&mr);
    expect(mj != nullptr, "cai_mix_report_json");
    std::free(mj);

    // record.h
    cai_reader_opts ro;
    expect(cai_reader_opts_init(&ro, CAI_READER_OPTS_VERSION) == CAI_OK, "reader_opts_init");
    expect(cai_format_parse("pairs") == CAI_FORMAT_PAIRS, "cai_format_parse");

    // writer.h
    cai_writer_opts wo;
    expect(cai_writer_opts_init(&wo, CAI_WRITER_OPTS_VERSION) == CAI_OK, "writer_opts_init");
    expect(cai_writer_opts_init(&wo, CAI_WRITER_OPTS_VERSION + 1) == CAI_EINVAL,
           "writer_opts_init refuses an unknown version");

    // constitution.h
    cai_constitution *c = nullptr;
    err = cai_error();
    expect(cai_constitution_load(&c, "/nonexistent/constitution.json", &err) == CAI_EIO &&
               c == nullptr,
           "cai_constitution_load reports CAI_EIO");

    // prompt.h, verdict.h
    expect(cai_judge_mode_parse("cot") == CAI_MODE_COT, "cai_judge_mode_parse");
    expect(cai_verdict_parse("(B)", 3) == CAI_VERDICT_B, "cai_verdict_parse");

    // judge.h: the built-in judge answers one comparison.
    cai_judge_opts jo;
    cai_judge *j = nullptr;
    {
        cai_sample_opts so;
        expect(cai_sample_opts_init(&so, CAI_SAMPLE_OPTS_VERSION) == CAI_OK && so.n == 2,
               "sample_opts_init");
        cai_revise_opts ro;
        expect(cai_revise_opts_init(&ro, CAI_REVISE_OPTS_VERSION) == CAI_OK && ro.rounds == 1,
               "revise_opts_init");
    }
    expect(cai_judge_opts_init(&jo, CAI_JUDGE_OPTS_VERSION) == CAI_OK, "judge_opts_init");
    expect(cai_backend_parse("builtin") == CAI_BACKEND_BUILTIN, "cai_backend_parse");
    err = cai_error();
    expect(cai_judge_create(&j, &jo, nullptr, &err) == CAI_OK, "cai_judge_create");
    expect(cai_judge_endpoint_count(j) == 0, "cai_judge_endpoint_count (builtin)");
    expect(cai_judge_check_endpoints(j, &err) == CAI_OK, "cai_judge_check_endpoints");
    if (j) {
        cai_principle p = {
            "p", "Which response is more helpful?", 1.0, nullptr, 0, nullptr, nullptr, "cxx"};
        cai_message m = {CAI_ROLE_USER, "What is 2+2?"};
        cai_judge_task t = {
            {&m, 1, &p, "4", "I refuse to answer."}, 0, nullptr, CAI_REQUEST_JUDGMENT};
        cai_judgment res;
        err = cai_error();
        expect(cai_judge_one(j, &t, &res, nullptr, nullptr, &err) == CAI_OK, "cai_judge_one");
        expect(res.p_first >= 0 && res.p_first <= 1, "p_first in [0, 1]");
        // the queue API: add, perform, read
        t.kind = CAI_REQUEST_JUDGMENT;
        t.payload = &m;
        expect(cai_judge_room(j) > 0, "cai_judge_room");
        expect(cai_judge_add(j, &t, &err) == CAI_OK, "cai_judge_add");
        expect(cai_judge_pending(j) == 1, "cai_judge_pending");
        expect(cai_judge_perform(j, nullptr, &err) == CAI_OK, "cai_judge_perform");
        expect(cai_judge_wait(j, 0, &err) == CAI_OK, "cai_judge_wait");
        const cai_judge_completion *c = cai_judge_read(j);
        expect(c && c->status == CAI_OK && c->task->payload == &m, "cai_judge_read");
        expect(c && c->result.judgment.p_first == res.p_first, "the same judgment");
        cai_judge_free(j);
    }

    // agree.h, health.h
    cai_agree ag = {};
    cai_agree_add(&ag, 1);
    expect(ag.n == 1 && ag.k == 1, "cai_agree_add");
    cai_health_opts ho;
    cai_health_counts hc = {};
    cai_health_report hr;
    expect(cai_health_opts_init(&ho, CAI_HEALTH_OPTS_VERSION) == CAI_OK, "health_opts_init");
    expect(cai_health_check(&hr, &hc, &ho, nullptr) == CAI_OK, "cai_health_check");
    ho.version = CAI_HEALTH_OPTS_VERSION + 1;
    expect(cai_health_check(&hr, &hc, &ho, nullptr) == CAI_EINVAL,
           "cai_health_check refuses an unknown version");

    // validate.h
    cai_validate_opts vo;
    cai_stats_opts so;
    expect(cai_validate_opts_init(&vo, CAI_VALIDATE_OPTS_VERSION) == CAI_OK, "validate_opts_init");
    expect(cai_stats_opts_init(&so, CAI_STATS_OPTS_VERSION) == CAI_OK, "stats_opts_init");

    // agreement.h, calibrate.h, compare.h
    cai_agreement_opts ao;
    cai_calibrate_opts co;
    cai_compare_opts cmo;
    expect(cai_agreement_opts_init(&ao, CAI_AGREEMENT_OPTS_VERSION) == CAI_OK, "agreement_opts");
    expect(cai_calibrate_opts_init(&co, CAI_CALIBRATE_OPTS_VERSION) == CAI_OK && co.holdout < 0,
           "calibrate_opts_init");
    expect(cai_compare_opts_init(&cmo, CAI_COMPARE_OPTS_VERSION + 1) == CAI_EINVAL,
           "compare_opts_init refuses an unknown version");

    // run.h: a struct from other headers (unknown version) is refused, naming the struct.
    cai_run_opts rop;
    cai_run *r = nullptr;
    const char *inputs[] = {"in.jsonl"};
    expect(cai_run_opts_init(&rop, CAI_RUN_OPTS_VERSION) == CAI_OK, "run_opts_init");
    expect(cai_out_format_parse("hh") == CAI_OUT_HH, "cai_out_format_parse");
    rop.inputs = inputs;
    rop.n_inputs = 1;
    rop.constitution = "c.json";
    rop.output_dir = "out";
    rop.version = CAI_RUN_OPTS_VERSION + 1;
    err = cai_error();
    expect(cai_run_create(&r, &rop, &err) == CAI_EINVAL && r == nullptr &&
               std::strstr(err.msg, "cai_run_opts") != nullptr,
           "cai_run_create refuses an unknown version");

    cai_global_cleanup();
    if (failures == 0)
        std::printf("cxx_headers: every public header compiles as C++ and links (%s)\n",
                    cai_version());
    return failures ? 1 : 0;
}
