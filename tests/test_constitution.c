/* SPDX-License-Identifier: MIT */
/* Tests for the constitution module: loading, errors, extends layering, hashing, sampling, lint. */
#include "testutil.h"

#include <cai.h>
#include "hash_int.h"
#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

Suite *constitution_suite(void);

#define DATA_DIR CAI_SOURCE_DIR "/tests/data/constitution"

/* Replaces every '@' in pattern with DATA_DIR "/". Caller frees. */
static char *expand_at(const char *pattern)
{
    const char *dir = DATA_DIR "/";
    size_t n = 0, dl = strlen(dir);
    const char *p;
    char *out, *o;

    for (p = pattern; *p; p++)
        n += *p == '@' ? dl : 1;
    out = malloc(n + 1);
    ck_assert_ptr_nonnull(out);
    for (o = out, p = pattern; *p; p++) {
        if (*p == '@') {
            memcpy(o, dir, dl);
            o += dl;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return out;
}

static cai_constitution *load_ok(const char *path)
{
    cai_constitution *c = NULL;
    cai_error err = {0};
    cai_status st = cai_constitution_load(&c, path, &err);

    ck_assert_msg(st == CAI_OK, "%s: status %d: %s", path, (int)st, err.msg);
    ck_assert_ptr_nonnull(c);
    return c;
}

static cai_constitution *load_data(const char *name)
{
    char *path = tu_strdupf("%s/%s", DATA_DIR, name);
    cai_constitution *c = load_ok(path);

    free(path);
    return c;
}

/* ------------------------------------------------------------------------------------------ */
/* Every broken file in tests/data/constitution and the exact error it must give ('@' = dir/). */

typedef struct bad_case {
    const char *file;
    cai_status status;
    const char *msg;
} bad_case;

static const bad_case bad_cases[] = {
    {"bad_weight_zero.json", CAI_ESCHEMA,
     "@bad_weight_zero.json: principles[3].weight: must be > 0"},
    {"bad_weight_negative.json", CAI_ESCHEMA,
     "@bad_weight_negative.json: principles[0].weight: must be > 0"},
    {"bad_weight_string.json", CAI_ESCHEMA,
     "@bad_weight_string.json: principles[0].weight: must be a number"},
    {"bad_json.json", CAI_EPARSE, "@bad_json.json:1:14: invalid JSON"},
    {"bad_json_multiline.json", CAI_EPARSE, "@bad_json_multiline.json:4:33: invalid JSON"},
    {"bad_trailing.json", CAI_EPARSE, "@bad_trailing.json:1:50: invalid JSON"},
    {"bad_utf8.json", CAI_EPARSE, "@bad_utf8.json:1:16: invalid UTF-8"},
    {"bad_duplicate_id.json", CAI_ESCHEMA,
     "@bad_duplicate_id.json: principles[2].id: duplicate id \"x\""},
    {"bad_cycle_a.json", CAI_ESCHEMA,
     "@bad_cycle_b.json: extends: cycle @bad_cycle_a.json -> @bad_cycle_b.json -> "
     "@bad_cycle_a.json"},
    {"bad_cycle_b.json", CAI_ESCHEMA,
     "@bad_cycle_a.json: extends: cycle @bad_cycle_b.json -> @bad_cycle_a.json -> "
     "@bad_cycle_b.json"},
    {"bad_missing_parent.json", CAI_ESCHEMA,
     "@bad_missing_parent.json: extends: cannot open no-such-parent.json: No such file or "
     "directory"},
    {"bad_parent_invalid.json", CAI_ESCHEMA,
     "@bad_weight_zero.json: principles[3].weight: must be > 0"},
    {"bad_template_unknown.json", CAI_ESCHEMA,
     "@bad_template_unknown.json: template: unknown placeholder {foo}"},
    {"bad_template_missing.json", CAI_ESCHEMA,
     "@bad_template_missing.json: template: missing placeholder {response_b}"},
    {"bad_template_brace.json", CAI_ESCHEMA,
     "@bad_template_brace.json: template: unmatched '}' at offset 53 (write }} for a literal "
     "brace)"},
    {"bad_template_unclosed.json", CAI_ESCHEMA,
     "@bad_template_unclosed.json: template: unmatched '{' at offset 40"},
    {"bad_text_empty.json", CAI_ESCHEMA,
     "@bad_text_empty.json: principles[0].text: must not be empty"},
    {"bad_text_missing.json", CAI_ESCHEMA, "@bad_text_missing.json: principles[1].text: missing"},
    {"bad_text_type.json", CAI_ESCHEMA,
     "@bad_text_type.json: principles[0].text: must be a string"},
    {"bad_id_missing.json", CAI_ESCHEMA, "@bad_id_missing.json: principles[0].id: missing"},
    {"bad_id_chars.json", CAI_ESCHEMA,
     "@bad_id_chars.json: principles[0].id: must contain only letters, digits, '.', '_' and '-'"},
    {"bad_tags.json", CAI_ESCHEMA, "@bad_tags.json: principles[0].tags: must be a list of strings"},
    {"bad_tags_item.json", CAI_ESCHEMA,
     "@bad_tags_item.json: principles[0].tags: must be a list of strings"},
    {"bad_unknown_key.json", CAI_ESCHEMA, "@bad_unknown_key.json: principle: unknown key"},
    {"bad_unknown_principle_key.json", CAI_ESCHEMA,
     "@bad_unknown_principle_key.json: principles[0].wieght: unknown key"},
    {"bad_duplicate_key.json", CAI_ESCHEMA,
     "@bad_duplicate_key.json: principles[0].weight: duplicate key"},
    {"bad_critique_empty.json", CAI_ESCHEMA,
     "@bad_critique_empty.json: principles[0].critique: must not be empty"},
    {"bad_revision_type.json", CAI_ESCHEMA,
     "@bad_revision_type.json: principles[0].revision: must be a string"},
    {"bad_example_answer.json", CAI_ESCHEMA,
     "@bad_example_answer.json: examples[0].answer: must be \"A\" or \"B\""},
    {"bad_example_missing.json", CAI_ESCHEMA,
     "@bad_example_missing.json: examples[0].response_b: missing"},
    {"bad_no_principles.json", CAI_ESCHEMA, "@bad_no_principles.json: principles: missing"},
    {"bad_empty_principles.json", CAI_ESCHEMA,
     "@bad_empty_principles.json: principles: must not be empty"},
    {"bad_principles_type.json", CAI_ESCHEMA,
     "@bad_principles_type.json: principles: must be a list"},
    {"bad_extends_type.json", CAI_ESCHEMA,
     "@bad_extends_type.json: extends: must be a path or a list of paths"},
    {"bad_name_type.json", CAI_ESCHEMA, "@bad_name_type.json: name: must be a string"},
    {"bad_top_level.json", CAI_ESCHEMA,
     "@bad_top_level.json: top level: must be an object (or a list of principle texts)"},
    {"bad_list_form.json", CAI_ESCHEMA, "@bad_list_form.json: [1]: must not be empty"},
    {"bad_revision_example_missing.json", CAI_ESCHEMA,
     "@bad_revision_example_missing.json: revision_examples[0].critique: missing"},
    {"bad_revision_example_principle.json", CAI_ESCHEMA,
     "@bad_revision_example_principle.json: revision_examples[0].principle: no principle "
     "\"nope\""},
};
#define N_BAD (sizeof(bad_cases) / sizeof(bad_cases[0]))

START_TEST(load_rejects_bad_file_with_exact_message)
{
    const bad_case *bc = &bad_cases[_i];
    char *path = tu_strdupf("%s/%s", DATA_DIR, bc->file);
    char *want = expand_at(bc->msg);
    cai_constitution *c = (cai_constitution *)&c; /* must be reset to NULL */
    cai_error err = {0};
    cai_status st = cai_constitution_load(&c, path, &err);

    ck_assert_msg(st == bc->status, "%s: status %d, want %d (%s)", bc->file, (int)st,
                  (int)bc->status, err.msg);
    ck_assert_int_eq(err.code, bc->status);
    ck_assert_str_eq(err.msg, want);
    ck_assert_ptr_null(c);
    free(want);
    free(path);
}
END_TEST

/* A bad_*.json file without an expected message would silently test nothing. */
START_TEST(every_bad_data_file_has_an_expected_message)
{
    DIR *d = opendir(DATA_DIR);
    struct dirent *de;
    size_t i, files = 0;

    ck_assert_ptr_nonnull(d);
    while ((de = readdir(d)) != NULL) {
        int found = 0;
        if (strncmp(de->d_name, "bad_", 4) != 0)
            continue;
        files++;
        for (i = 0; i < N_BAD; i++)
            if (strcmp(bad_cases[i].file, de->d_name) == 0)
                found = 1;
        ck_assert_msg(found, "%s has no entry in bad_cases", de->d_name);
    }
    closedir(d);
    ck_assert_uint_eq(files, N_BAD);
}
END_TEST

START_TEST(load_reports_unreadable_root_as_eio)
{
    cai_constitution *c = NULL;
    cai_error err = {0};

    ck_assert_int_eq(cai_constitution_load(&c, DATA_DIR "/no-such-file.json", &err), CAI_EIO);
    ck_assert_str_eq(err.msg,
                     DATA_DIR "/no-such-file.json: cannot open: No such file or directory");
    ck_assert_ptr_null(c);
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(cai_constitution_load(&c, DATA_DIR, &err), CAI_EIO);
    ck_assert_str_eq(err.msg, DATA_DIR ": cannot read: Is a directory");
    /* a NULL error buffer is allowed */
    ck_assert_int_eq(cai_constitution_load(&c, DATA_DIR "/bad_json.json", NULL), CAI_EPARSE);
}
END_TEST

START_TEST(load_limits_file_size_and_extends_depth)
{
    char *dir = tu_mkdtemp("constitution");
    char *path, *body;
    cai_constitution *c = NULL;
    cai_error err = {0};
    size_t big = ((size_t)4 << 20) + 1, i;

    ck_assert_ptr_nonnull(dir);
    body = malloc(big);
    ck_assert_ptr_nonnull(body);
    memset(body, ' ', big);
    path = tu_strdupf("%s/big.json", dir);
    ck_assert_int_eq(tu_write_file(path, body, big), 0);
    ck_assert_int_eq(cai_constitution_load(&c, path, &err), CAI_ELIMIT);
    ck_assert_ptr_nonnull(strstr(err.msg, "larger than 4194304 bytes"));
    free(path);
    free(body);

    /* f0 extends f1 ... extends f19: deeper than the 16 levels allowed */
    for (i = 0; i < 20; i++) {
        char *text = i < 19
                         ? tu_strdupf("{\"extends\": \"f%zu.json\"}", i + 1)
                         : tu_strdupf("{\"principles\": [{\"id\": \"x\", \"text\": \"Which?\"}]}");
        path = tu_strdupf("%s/f%zu.json", dir, i);
        ck_assert_int_eq(tu_write_file(path, text, strlen(text)), 0);
        free(path);
        free(text);
    }
    memset(&err, 0, sizeof(err));
    path = tu_strdupf("%s/f0.json", dir);
    ck_assert_int_eq(cai_constitution_load(&c, path, &err), CAI_ELIMIT);
    ck_assert_ptr_nonnull(strstr(err.msg, "extends: nested more than 16 levels deep"));
    free(path);
    /* 16 levels are fine */
    path = tu_strdupf("%s/f3.json", dir);
    c = load_ok(path);
    ck_assert_uint_eq(cai_constitution_count(c), 1);
    cai_constitution_free(c);
    free(path);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

/* ------------------------------------------------------------------------------------------ */
/* Fields, defaults and layering                                                                */

START_TEST(load_reads_fields_and_defaults)
{
    cai_constitution *c = load_data("good_base.json");
    const cai_principle *a, *b;
    const cai_example *e;

    ck_assert_str_eq(cai_constitution_name(c), "base");
    ck_assert_str_eq(cai_constitution_version(c), "0.1");
    ck_assert_str_eq(cai_constitution_description(c), "Base set for the layering tests.");
    ck_assert_ptr_null(cai_constitution_template(c));
    ck_assert_uint_eq(cai_constitution_count(c), 3);
    a = cai_constitution_principle(c, 0);
    ck_assert_str_eq(a->id, "a");
    ck_assert_str_eq(a->text, "Which response is more accurate?");
    ck_assert(a->weight == 2.0);
    ck_assert_uint_eq(a->n_tags, 2);
    ck_assert_str_eq(a->tags[0], "t1");
    ck_assert_str_eq(a->tags[1], "t2");
    ck_assert_str_eq(a->critique, "Say what is inaccurate.");
    ck_assert_str_eq(a->revision, "Fix the inaccuracies.");
    ck_assert_str_eq(a->origin, DATA_DIR "/good_base.json");
    b = cai_constitution_principle(c, 1);
    ck_assert(b->weight == 1.0); /* default */
    ck_assert_uint_eq(b->n_tags, 0);
    ck_assert_ptr_null(b->critique);
    ck_assert_ptr_null(b->revision);
    ck_assert_ptr_null(cai_constitution_principle(c, 3));
    ck_assert_int_eq(cai_constitution_find(c, "c"), 2);
    ck_assert_int_eq(cai_constitution_find(c, "zz"), -1);
    ck_assert_uint_eq(cai_constitution_nexamples(c), 1);
    e = cai_constitution_example(c, 0);
    ck_assert_str_eq(e->conversation, "Human: hi");
    ck_assert_str_eq(e->response_a, "Hello!");
    ck_assert_str_eq(e->response_b, "What.");
    ck_assert_int_eq(e->answer, 'A');
    ck_assert_ptr_null(e->rationale);
    ck_assert_ptr_null(cai_constitution_example(c, 1));
    cai_constitution_free(c);
    cai_constitution_free(NULL);
}
END_TEST

START_TEST(extends_appends_and_overrides_in_place)
{
    cai_constitution *c = load_data("good_child.json");
    const char *ids[] = {"a", "b", "c", "d"};
    const cai_principle *b;
    size_t i;

    ck_assert_uint_eq(cai_constitution_count(c), 4);
    for (i = 0; i < 4; i++)
        ck_assert_str_eq(cai_constitution_principle(c, i)->id, ids[i]);
    b = cai_constitution_principle(c, 1); /* replaced by the child, same position */
    ck_assert_str_eq(b->text, "Which response is kinder to the user?");
    ck_assert(b->weight == 3.0);
    ck_assert_str_eq(b->origin, DATA_DIR "/good_child.json");
    ck_assert_str_eq(cai_constitution_principle(c, 0)->origin, DATA_DIR "/good_base.json");
    ck_assert_str_eq(cai_constitution_principle(c, 3)->origin, DATA_DIR "/good_child.json");
    ck_assert_str_eq(cai_constitution_name(c), "child"); /* nearest */
    ck_assert_str_eq(cai_constitution_description(c),
                     "Base set for the layering tests."); /* inherited */
    ck_assert_uint_eq(cai_constitution_nexamples(c), 2);  /* accumulate, parent first */
    ck_assert_str_eq(cai_constitution_example(c, 0)->conversation, "Human: hi");
    ck_assert_str_eq(cai_constitution_example(c, 1)->conversation, "Human: bye");
    ck_assert_int_eq(cai_constitution_example(c, 1)->answer, 'B');
    ck_assert_str_eq(cai_constitution_example(c, 1)->rationale, "Warmer.");
    cai_constitution_free(c);
}
END_TEST

START_TEST(extends_list_applies_parents_in_order_and_a_diamond_once)
{
    cai_constitution *c = load_data("good_diamond.json");
    const char *ids[] = {"a", "b", "c", "l", "r"};
    size_t i;

    ck_assert_uint_eq(cai_constitution_count(c), 5);
    for (i = 0; i < 5; i++)
        ck_assert_str_eq(cai_constitution_principle(c, i)->id, ids[i]);
    /* the later parent's override of "a" wins; the shared base is not applied again after it */
    ck_assert_str_eq(cai_constitution_principle(c, 0)->text,
                     "Which response is more accurate, per the right file?");
    ck_assert_str_eq(cai_constitution_name(c), "right"); /* later parent beats earlier */
    ck_assert_str_eq(cai_constitution_description(c), "Right.");
    ck_assert_str_eq(cai_constitution_version(c), "9");  /* the file itself beats parents */
    ck_assert_uint_eq(cai_constitution_nexamples(c), 1); /* base examples counted once */
    cai_constitution_free(c);
}
END_TEST

START_TEST(list_form_gives_numbered_ids)
{
    cai_constitution *c = load_data("good_list.json");
    cai_constitution *bench;
    char *path = tu_strdupf("%s/bench/constitution.json", tu_shared_dir());
    struct stat sb;

    ck_assert_uint_eq(cai_constitution_count(c), 3);
    ck_assert_str_eq(cai_constitution_principle(c, 0)->id, "p1");
    ck_assert_str_eq(cai_constitution_principle(c, 2)->id, "p3");
    ck_assert_str_eq(cai_constitution_principle(c, 2)->text, "Which reply is less harmful?");
    ck_assert(cai_constitution_principle(c, 1)->weight == 1.0);
    ck_assert_str_eq(cai_constitution_name(c), "");
    cai_constitution_free(c);
    /* the benchmark's constitution is a list of 16 texts */
    if (stat(path, &sb) == 0) {
        bench = load_ok(path);
        ck_assert_uint_eq(cai_constitution_count(bench), 16);
        ck_assert_str_eq(cai_constitution_principle(bench, 15)->id, "p16");
        cai_constitution_free(bench);
    }
    free(path);
}
END_TEST

/* ------------------------------------------------------------------------------------------ */
/* Templates                                                                                   */

START_TEST(template_loads_and_renders_with_escapes)
{
    cai_constitution *c = load_data("good_template.json");
    cai_error err = {0};
    char *out = NULL;

    ck_assert_str_eq(cai_constitution_template(c),
                     "{{json}} Conversation:\n{conversation}\nQuestion: {principle}\n(A) "
                     "{response_a}\n(B) {response_b}\n}}");
    ck_assert_int_eq(cai_constitution_render_template(&out, cai_constitution_template(c),
                                                      "Human: hi", "Which is better?",
                                                      "first {principle}", "second", &err),
                     CAI_OK);
    /* values are inserted verbatim: the "{principle}" inside response_a stays as it is */
    ck_assert_str_eq(out, "{json} Conversation:\nHuman: hi\nQuestion: Which is better?\n(A) first "
                          "{principle}\n(B) second\n}");
    free(out);
    cai_constitution_free(c);
}
END_TEST

START_TEST(render_template_rejects_invalid_templates)
{
    cai_error err = {0};
    char *out = (char *)&out;

    ck_assert_int_eq(cai_constitution_render_template(&out, "{conversation}{principle}{response_a}",
                                                      "c", "p", "a", "b", &err),
                     CAI_ESCHEMA);
    ck_assert_str_eq(err.msg, "template: missing placeholder {response_b}");
    ck_assert_ptr_null(out);
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(cai_constitution_render_template(
                         &out, "{conversation}{principle}{response_a}{response_b}{Response_A}", "c",
                         "p", "a", "b", &err),
                     CAI_ESCHEMA);
    ck_assert_str_eq(err.msg, "template: unknown placeholder {Response_A}");
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(cai_constitution_render_template(&out,
                                                      "{conversation}{principle}{response_a}"
                                                      "{response_b}{{{",
                                                      "c", "p", "a", "b", &err),
                     CAI_ESCHEMA);
    ck_assert_str_eq(err.msg, "template: unmatched '{' at offset 51");
    ck_assert_int_eq(cai_constitution_render_template(&out,
                                                      "{response_b}{response_a}{principle}"
                                                      "{conversation}{response_a}",
                                                      "c", "p", "a", "b", &err),
                     CAI_OK);
    ck_assert_str_eq(out, "bapca");
    free(out);
}
END_TEST

/* ------------------------------------------------------------------------------------------ */
/* Canonical JSON and hash                                                                     */

static char *hash_of_text(const char *dir, const char *name, const char *text)
{
    char *path = tu_strdupf("%s/%s", dir, name);
    cai_constitution *c;
    char *h;

    ck_assert_int_eq(tu_write_file(path, text, strlen(text)), 0);
    c = load_ok(path);
    h = strdup(cai_constitution_hash(c));
    cai_constitution_free(c);
    free(path);
    return h;
}

START_TEST(canonical_json_has_fixed_form)
{
    cai_constitution *c = load_data("good_base.json");
    char *json = cai_constitution_canonical_json(c);
    char hex[65];

    ck_assert_str_eq(
        json, "{\"name\":\"base\",\"version\":\"0.1\",\"description\":\"Base set for the layering "
              "tests.\",\"principles\":[{\"id\":\"a\",\"text\":\"Which response is more "
              "accurate?\",\"weight\":2,\"tags\":[\"t1\",\"t2\"],\"critique\":\"Say what is "
              "inaccurate.\",\"revision\":\"Fix the inaccuracies.\"},{\"id\":\"b\",\"text\":"
              "\"Which response is kinder?\",\"weight\":1,\"tags\":[]},{\"id\":\"c\",\"text\":"
              "\"Which response is clearer?\",\"weight\":0.5,\"tags\":[]}],\"examples\":[{"
              "\"conversation\":\"Human: hi\",\"response_a\":\"Hello!\",\"response_b\":\"What.\","
              "\"answer\":\"A\"}]}");
    cai_sha256_hex(json, strlen(json), hex);
    ck_assert_str_eq(cai_constitution_hash(c), hex);
    ck_assert_uint_eq(strlen(cai_constitution_hash(c)), 64);
    free(json);
    cai_constitution_free(c);
}
END_TEST

START_TEST(revision_examples_load_and_enter_the_hash)
{
    cai_constitution *c = load_data("good_revision_examples.json");
    cai_constitution *base = load_data("good_base.json");
    const cai_revision_example *e;
    char *json = cai_constitution_canonical_json(c);

    ck_assert_uint_eq(cai_constitution_nrevision_examples(c), 2);
    ck_assert_uint_eq(cai_constitution_nrevision_examples(base), 0);
    e = cai_constitution_revision_example(c, 0);
    ck_assert_str_eq(e->response, "Yes.");
    ck_assert_str_eq(e->critique, "The reply is false: the earth is round.");
    ck_assert_str_eq(e->revision, "No, the earth is round, roughly a sphere.");
    ck_assert_str_eq(e->principle, "a");
    ck_assert_ptr_null(cai_constitution_revision_example(c, 1)->principle);
    ck_assert_ptr_null(cai_constitution_revision_example(c, 2));
    ck_assert_ptr_nonnull(strstr(json, ",\"revision_examples\":[{\"conversation\":"));
    ck_assert_str_ne(cai_constitution_hash(c), cai_constitution_hash(base));
    free(json);
    json = cai_constitution_canonical_json(base);
    ck_assert_ptr_null(strstr(json, "revision_examples")); /* absent: old hashes stay */
    free(json);
    cai_constitution_free(c);
    cai_constitution_free(base);
}
END_TEST

START_TEST(hash_covers_resolved_content_only)
{
    cai_constitution *child = load_data("good_child.json");
    cai_constitution *flat = load_data("good_flat.json");
    cai_constitution *again = load_data("good_child.json");

    /* the same resolved content hashes the same, whatever the layering or key order */
    ck_assert_str_eq(cai_constitution_hash(child), cai_constitution_hash(again));
    ck_assert_str_eq(cai_constitution_hash(child), cai_constitution_hash(flat));
    cai_constitution_free(child);
    cai_constitution_free(flat);
    cai_constitution_free(again);
}
END_TEST

START_TEST(hash_changes_with_any_principle_field)
{
    char *dir = tu_mkdtemp("constitution");
    const char *base = "{\"name\":\"n\",\"principles\":[{\"id\":\"a\",\"text\":\"Which?\"},"
                       "{\"id\":\"b\",\"text\":\"Which one?\"}]}";
    const char *variants[] = {
        "{\"name\":\"n\",\"principles\":[{\"id\":\"a\",\"text\":\"Which!\"},"
        "{\"id\":\"b\",\"text\":\"Which one?\"}]}",
        "{\"name\":\"n\",\"principles\":[{\"id\":\"a\",\"text\":\"Which?\",\"weight\":1.5},"
        "{\"id\":\"b\",\"text\":\"Which one?\"}]}",
        "{\"name\":\"n\",\"principles\":[{\"id\":\"a\",\"text\":\"Which?\",\"tags\":[\"x\"]},"
        "{\"id\":\"b\",\"text\":\"Which one?\"}]}",
        "{\"name\":\"n\",\"principles\":[{\"id\":\"b\",\"text\":\"Which one?\"},"
        "{\"id\":\"a\",\"text\":\"Which?\"}]}",
        "{\"name\":\"m\",\"principles\":[{\"id\":\"a\",\"text\":\"Which?\"},"
        "{\"id\":\"b\",\"text\":\"Which one?\"}]}",
        "{\"name\":\"n\",\"principles\":[{\"id\":\"a2\",\"text\":\"Which?\"},"
        "{\"id\":\"b\",\"text\":\"Which one?\"}]}",
    };
    const char *same = "{\n  \"principles\": [ {\"text\": \"Which?\", \"weight\": 1.0, \"id\": "
                       "\"a\"},\n {\"id\":\"b\",\"text\":\"Which one?\", \"tags\": []}],\n"
                       "  \"name\": \"n\"\n}\n";
    char *h0, *h;
    size_t i;

    ck_assert_ptr_nonnull(dir);
    h0 = hash_of_text(dir, "base.json", base);
    for (i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
        char *name = tu_strdupf("v%zu.json", i);
        h = hash_of_text(dir, name, variants[i]);
        ck_assert_msg(strcmp(h, h0) != 0, "variant %zu hashes like the base", i);
        free(h);
        free(name);
    }
    h = hash_of_text(dir, "same.json", same); /* layout, key order, explicit defaults */
    ck_assert_str_eq(h, h0);
    free(h);
    free(h0);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

/* ------------------------------------------------------------------------------------------ */
/* Sampling                                                                                    */

static cai_constitution *weighted(const char *dir, const char *weights_json)
{
    char *path = tu_strdupf("%s/weighted.json", dir);
    char *text = tu_strdupf("{\"principles\":[%s]}", weights_json);
    cai_constitution *c;

    ck_assert_int_eq(tu_write_file(path, text, strlen(text)), 0);
    c = load_ok(path);
    free(text);
    free(path);
    return c;
}

START_TEST(sample_is_deterministic_and_distinct)
{
    cai_constitution *c = load_ok(CAI_SOURCE_DIR "/constitution/hhh.json");
    size_t n = cai_constitution_count(c), a[64], b[64], i, j, got, differ = 0;
    uint64_t seed;

    ck_assert_uint_ge(n, 10);
    for (seed = 0; seed < 200; seed++) {
        got = cai_constitution_sample(c, seed, 5, a);
        ck_assert_uint_eq(got, 5);
        ck_assert_uint_eq(cai_constitution_sample(c, seed, 5, b), 5);
        for (i = 0; i < 5; i++) {
            ck_assert_uint_eq(a[i], b[i]);
            ck_assert_uint_lt(a[i], n);
            for (j = 0; j < i; j++)
                ck_assert_uint_ne(a[i], a[j]);
        }
        /* a longer sample starts with the shorter one: order is by key */
        ck_assert_uint_eq(cai_constitution_sample(c, seed, 3, b), 3);
        ck_assert(memcmp(a, b, 3 * sizeof(size_t)) == 0);
        cai_constitution_sample(c, seed + 1, 5, b);
        differ += memcmp(a, b, 5 * sizeof(size_t)) != 0;
    }
    ck_assert_uint_gt(differ, 150); /* the seed matters */
    ck_assert_uint_eq(cai_constitution_sample(c, 1, 0, a), 0);
    cai_constitution_free(c);
}
END_TEST

START_TEST(sample_more_than_count_returns_all)
{
    char *dir = tu_mkdtemp("constitution");
    cai_constitution *c = weighted(dir, "{\"id\":\"a\",\"text\":\"A?\",\"weight\":1},"
                                        "{\"id\":\"b\",\"text\":\"B?\",\"weight\":5},"
                                        "{\"id\":\"c\",\"text\":\"C?\",\"weight\":0.1}");
    size_t out[10], i, seen = 0;

    ck_assert_uint_eq(cai_constitution_sample(c, 42, 10, out), 3);
    for (i = 0; i < 3; i++)
        seen |= (size_t)1 << out[i];
    ck_assert_uint_eq(seen, 7);
    cai_constitution_free(c);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(sample_follows_weights)
{
    char *dir = tu_mkdtemp("constitution");
    cai_constitution *c = weighted(dir, "{\"id\":\"a\",\"text\":\"A?\",\"weight\":1},"
                                        "{\"id\":\"b\",\"text\":\"B?\",\"weight\":2},"
                                        "{\"id\":\"c\",\"text\":\"C?\",\"weight\":3},"
                                        "{\"id\":\"d\",\"text\":\"D?\",\"weight\":4}");
    const double w[4] = {1, 2, 3, 4};
    const size_t trials = 20000;
    size_t first[4] = {0}, second_when_d_first[4] = {0}, d_first = 0, out[2], i;
    double chi = 0, expect;
    uint64_t seed;

    for (seed = 0; seed < trials; seed++) {
        ck_assert_uint_eq(cai_constitution_sample(c, seed * 7919 + 1, 2, out), 2);
        first[out[0]]++;
        if (out[0] == 3) {
            d_first++;
            second_when_d_first[out[1]]++;
        }
    }
    /* first draw: P(i) = w_i / sum w. Chi-square, 3 degrees of freedom, p = 0.001: 16.27 */
    for (i = 0; i < 4; i++) {
        expect = trials * w[i] / 10.0;
        chi += (first[i] - expect) * (first[i] - expect) / expect;
    }
    ck_assert_msg(chi < 16.27, "chi-square %.2f: %zu %zu %zu %zu", chi, first[0], first[1],
                  first[2], first[3]);
    /* second draw without replacement: never d again, otherwise w_i / 6 */
    ck_assert_uint_eq(second_when_d_first[3], 0);
    chi = 0;
    for (i = 0; i < 3; i++) {
        expect = d_first * w[i] / 6.0;
        chi += (second_when_d_first[i] - expect) * (second_when_d_first[i] - expect) / expect;
    }
    ck_assert_msg(chi < 13.82, "second draw chi-square %.2f", chi); /* 2 dof, p = 0.001 */
    cai_constitution_free(c);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

/* ------------------------------------------------------------------------------------------ */
/* Lint and the shipped constitutions                                                          */

typedef struct lines {
    char buf[8192];
    size_t n;
} lines;

static void collect(const char *line, void *payload)
{
    lines *l = payload;
    size_t used = strlen(l->buf);

    snprintf(l->buf + used, sizeof(l->buf) - used, "%s\n", line);
    l->n++;
}

START_TEST(lint_warns_about_weak_principles)
{
    char *dir = tu_mkdtemp("constitution");
    char *path = tu_strdupf("%s/weak.json", dir);
    const char *text =
        "{\"principles\":["
        "{\"id\":\"short\",\"text\":\"Which is best?\"},"
        "{\"id\":\"flat\",\"text\":\"Prefer the response that is more polite to the user.\"},"
        "{\"id\":\"half\",\"text\":\"Which response is the more polite of the two?\","
        "\"critique\":\"Find rudeness.\"},"
        "{\"id\":\"copy\",\"text\":\"Which response is the more polite of the two?\","
        "\"revision\":\"Be polite.\"}]}";
    char *want;
    lines got = {{0}, 0};
    cai_error err = {0};

    ck_assert_int_eq(tu_write_file(path, text, strlen(text)), 0);
    ck_assert_int_eq(cai_constitution_lint(path, collect, &got, &err), CAI_OK);
    want = tu_strdupf("%s: name: not set\n"
                      "%s: version: not set\n"
                      "%s: principle \"short\": text is very short (14 characters)\n"
                      "%s: principle \"flat\": text is not a question; the judge is asked it to "
                      "compare two responses\n"
                      "%s: principle \"half\": critique without revision\n"
                      "%s: principle \"copy\": revision without critique\n"
                      "%s: principle \"copy\": same text as principle \"half\"\n",
                      path, path, path, path, path, path, path);
    ck_assert_str_eq(got.buf, want);
    ck_assert_uint_eq(got.n, 7);
    /* a broken file gives the load error, no warnings */
    memset(&got, 0, sizeof(got));
    ck_assert_int_eq(cai_constitution_lint(DATA_DIR "/bad_tags.json", collect, &got, &err),
                     CAI_ESCHEMA);
    ck_assert_uint_eq(got.n, 0);
    free(want);
    free(path);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(lint_warns_about_unusable_revision_examples)
{
    char *dir = tu_mkdtemp("rexlint");
    char *path = tu_strdupf("%s/c.json", dir);
    static const char text[] =
        "{\"name\":\"x\",\"version\":\"1\",\"principles\":[{\"id\":\"a\",\"text\":"
        "\"Which response is kinder to the user?\"}],\"revision_examples\":[{\"conversation\":"
        "\"Human: hi\",\"response\":\"Same.\",\"critique\":\"Fine.\",\"revision\":\"Same.\"}]}";
    lines got = {{0}, 0};
    cai_error err = {0};

    ck_assert_int_eq(tu_write_file(path, text, strlen(text)), 0);
    ck_assert_int_eq(cai_constitution_lint(path, collect, &got, &err), CAI_OK);
    ck_assert_msg(strstr(got.buf, "revision_examples: no principle has both a critique and a "
                                  "revision request") != NULL,
                  "%s", got.buf);
    ck_assert_msg(strstr(got.buf, "revision_examples[0]: the revision repeats the response"), "%s",
                  got.buf);
    free(path);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(shipped_constitutions_load_and_lint_clean)
{
    DIR *d = opendir(CAI_SOURCE_DIR "/constitution");
    struct dirent *de;
    size_t files = 0;

    ck_assert_ptr_nonnull(d);
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        char *path;
        lines got = {{0}, 0};
        cai_error err = {0};
        cai_constitution *c;
        if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
            continue;
        path = tu_strdupf("%s/constitution/%s", CAI_SOURCE_DIR, de->d_name);
        c = load_ok(path);
        ck_assert_uint_ge(cai_constitution_count(c), 5);
        ck_assert_str_ne(cai_constitution_name(c), "");
        cai_constitution_free(c);
        ck_assert_int_eq(cai_constitution_lint(path, collect, &got, &err), CAI_OK);
        ck_assert_msg(got.n == 0, "%s has lint warnings:\n%s", path, got.buf);
        free(path);
        files++;
    }
    closedir(d);
    ck_assert_uint_ge(files, 5);
}
END_TEST

START_TEST(shipped_default_and_deployment_layer_as_documented)
{
    cai_constitution *hhh = load_ok(CAI_SOURCE_DIR "/constitution/hhh.json");
    cai_constitution *cs = load_ok(CAI_SOURCE_DIR "/constitution/customer-support.json");
    long at = cai_constitution_find(hhh, "help-clear");
    size_t i;

    ck_assert_uint_ge(cai_constitution_count(hhh), 15);
    ck_assert_uint_le(cai_constitution_count(hhh), 18);
    ck_assert_uint_eq(cai_constitution_nexamples(hhh), 0);
    ck_assert_int_ge(at, 0);
    /* the deployment file keeps every hhh principle, replaces help-clear in place, adds more */
    ck_assert_int_eq(cai_constitution_find(cs, "help-clear"), at);
    ck_assert_str_eq(cai_constitution_principle(cs, (size_t)at)->origin,
                     CAI_SOURCE_DIR "/constitution/customer-support.json");
    ck_assert_str_ne(cai_constitution_principle(cs, (size_t)at)->text,
                     cai_constitution_principle(hhh, (size_t)at)->text);
    for (i = 0; i < cai_constitution_count(hhh); i++)
        ck_assert_str_eq(cai_constitution_principle(cs, i)->id,
                         cai_constitution_principle(hhh, i)->id);
    ck_assert_uint_ge(cai_constitution_count(cs), cai_constitution_count(hhh) + 3);
    ck_assert_uint_eq(cai_constitution_nexamples(cs), 1);
    ck_assert_str_ne(cai_constitution_hash(cs), cai_constitution_hash(hhh));
    cai_constitution_free(hhh);
    cai_constitution_free(cs);
}
END_TEST

Suite *constitution_suite(void)
{
    Suite *s = suite_create("constitution");
    TCase *tc = tcase_create("load");
    TCase *tl = tcase_create("layering");
    TCase *th = tcase_create("hash");
    TCase *ts = tcase_create("sample");
    TCase *tn = tcase_create("lint");

    tcase_add_loop_test(tc, load_rejects_bad_file_with_exact_message, 0, (int)N_BAD);
    tcase_add_test(tc, every_bad_data_file_has_an_expected_message);
    tcase_add_test(tc, load_reports_unreadable_root_as_eio);
    tcase_add_test(tc, load_limits_file_size_and_extends_depth);
    tcase_add_test(tc, load_reads_fields_and_defaults);
    tcase_add_test(tc, list_form_gives_numbered_ids);
    tcase_add_test(tc, template_loads_and_renders_with_escapes);
    tcase_add_test(tc, render_template_rejects_invalid_templates);
    suite_add_tcase(s, tc);

    tcase_add_test(tl, extends_appends_and_overrides_in_place);
    tcase_add_test(tl, extends_list_applies_parents_in_order_and_a_diamond_once);
    suite_add_tcase(s, tl);

    tcase_add_test(th, canonical_json_has_fixed_form);
    tcase_add_test(th, revision_examples_load_and_enter_the_hash);
    tcase_add_test(th, hash_covers_resolved_content_only);
    tcase_add_test(th, hash_changes_with_any_principle_field);
    suite_add_tcase(s, th);

    tcase_set_timeout(ts, 60);
    tcase_add_test(ts, sample_is_deterministic_and_distinct);
    tcase_add_test(ts, sample_more_than_count_returns_all);
    tcase_add_test(ts, sample_follows_weights);
    suite_add_tcase(s, ts);

    tcase_add_test(tn, lint_warns_about_weak_principles);
    tcase_add_test(tn, lint_warns_about_unusable_revision_examples);
    tcase_add_test(tn, shipped_constitutions_load_and_lint_clean);
    tcase_add_test(tn, shipped_default_and_deployment_layer_as_documented);
    suite_add_tcase(s, tn);
    return s;
}
