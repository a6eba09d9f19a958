#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The output contract, checked the way the consumers read it (run from tests/cli.d/contract.sh).

    contract.py concat CAI SRC TMP             prompt + chosen is the text a trainer should see
    contract.py schema CAI SRC TMP             one schema: `datasets`' block-casting rule
    contract.py hh-sample CAI SRC TMP HH_SAMPLE  both on the external HH-RLHF sample
    contract.py card   CAI SRC TMP             the card's YAML parses whatever the name
    contract.py reward CAI SRC TMP BASE_URL    the soft-label loss fits logit(p) on cai output
    contract.py generated CAI SRC TMP BASE_URL cai sample / cai revise files: one schema, TRL's
                                               format rules, cai validate clean

Each prints one line per check and exits 1 on the first failure. Standard library only, except
`card` (yaml: Debian python3-yaml) and `reward` (numpy: Debian python3-numpy); a missing module
is a failure, never a skip.
"""
import glob
import gzip
import hashlib
import json
import math
import os
import re
import subprocess
import sys


def die(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def ok(msg):
    print("ok: " + msg)


def run_cai(cai, args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run([cai, "run", "-q"] + args, capture_output=True, text=True, env=e)
    if p.returncode != 0:
        die("cai run %s: exit %d: %s" % (" ".join(args), p.returncode, p.stderr.strip()))


def split_files(out):
    """The data files in the order `datasets` reads them: train shards, then test shards."""
    return [sorted(glob.glob(os.path.join(out, "data", s + "-*.jsonl.gz"))) for s in ("train", "test")]


def records(out):
    for files in split_files(out):
        for f in files:
            with gzip.open(f, "rt", encoding="utf-8") as fh:
                for line in fh:
                    yield json.loads(line)


def read_jsonl(path):
    op = gzip.open if path.endswith(".gz") else open
    with op(path, "rt", encoding="utf-8") as fh:
        return [json.loads(l) for l in fh if l.strip()]


def manifest(out):
    with open(os.path.join(out, "manifest.json"), encoding="utf-8") as fh:
        return json.load(fh)


# ---- 1. prompt + chosen ------------------------------------------------------------------

ROLE = {"user": "Human", "assistant": "Assistant", "system": "System"}


def transcript(messages):
    return "".join("\n\n%s: %s" % (ROLE[m["role"]], m["content"]) for m in messages)


def check_hh(cai, src, tmp, path, name):
    out = os.path.join(tmp, "concat-" + name)
    run_cai(cai, ["-i", path, "-c", os.path.join(src, "constitution/hhh.json"), "-o", out,
                  "--keep-ties"])
    m = manifest(out)
    if m["settings"]["format"] != "trl":
        die("%s: --format auto gave %s for hh input, not trl" % (name, m["settings"]["format"]))
    originals = {}
    for o in read_jsonl(path):
        originals[(o["chosen"], o["rejected"])] = 0
    n = 0
    for r in records(out):
        n += 1
        p, c, j = r["prompt"], r["chosen"], r["rejected"]
        if not p.endswith("\n\nAssistant:") or not c.startswith(" ") or not j.startswith(" "):
            die("%s: %s: prompt does not end with the assistant cue or a response lacks its "
                "leading space" % (name, r["id"]))
        key = (p + c, p + j) if (p + c, p + j) in originals else (p + j, p + c)
        if key not in originals:
            die("%s: %s: prompt + chosen / prompt + rejected are not an input's two "
                "transcripts" % (name, r["id"]))
        originals[key] += 1
    kept = m["statistics"]["pairs_kept"]
    if n != kept or n == 0 or sum(originals.values()) != n:
        die("%s: %d records, manifest says %d kept" % (name, n, kept))
    ok("%s: prompt + chosen and prompt + rejected are exactly the input transcripts in all "
       "%d records" % (name, n))


def check_lists_and_strings(cai, src, tmp):
    pairs = os.path.join(src, "datasets/samples/pairs.jsonl")
    hhh = os.path.join(src, "constitution/hhh.json")
    inputs = {o["id"]: o for o in read_jsonl(pairs)}

    # --format trl: message lists become a transcript ending on the cue; strings stay as given
    out = os.path.join(tmp, "concat-trl")
    run_cai(cai, ["-i", pairs, "-c", hhh, "-o", out, "--format", "trl"])
    lists = strings = 0
    for r in records(out):
        src_rec = inputs[r["id"]]
        pair = {src_rec["response_a"], src_rec["response_b"]}
        if isinstance(src_rec["prompt"], list):
            lists += 1
            want = transcript(src_rec["prompt"]) + "\n\nAssistant:"
            if r["prompt"] != want:
                die("trl: %s: message list rendered as %r, want %r" % (r["id"], r["prompt"][-80:],
                                                                      want[-80:]))
            if {r["chosen"][1:], r["rejected"][1:]} != pair or r["chosen"][0] != " ":
                die("trl: %s: responses are not ' ' + the input's responses" % r["id"])
        else:
            strings += 1
            if r["prompt"] != src_rec["prompt"] or {r["chosen"], r["rejected"]} != pair:
                die("trl: %s: a string prompt or its responses changed" % r["id"])
    if not lists or not strings:
        die("trl: expected both kinds of prompt (%d lists, %d strings)" % (lists, strings))
    ok("--format trl: %d message-list prompts end with \\n\\nAssistant: and responses start with "
       "a space; %d string prompts and their responses are byte for byte" % (lists, strings))

    # --format auto (the default): conversational when any prompt is a message list ...
    out = os.path.join(tmp, "concat-auto")
    run_cai(cai, ["-i", pairs, "-c", hhh, "-o", out])
    if manifest(out)["settings"]["format"] != "conversational":
        die("auto: pairs.jsonl (message lists) did not give conversational output")
    for r in records(out):
        if not isinstance(r["prompt"], list) or r["chosen"][0]["role"] != "assistant":
            die("auto: %s is not a conversational record" % r["id"])
    # ... and trl when every prompt is a string
    strings_only = os.path.join(tmp, "strings.jsonl")
    with open(strings_only, "w", encoding="utf-8") as fh:
        for o in inputs.values():
            if isinstance(o["prompt"], str):
                fh.write(json.dumps(o) + "\n")
    out = os.path.join(tmp, "concat-auto-strings")
    run_cai(cai, ["-i", strings_only, "-c", hhh, "-o", out])
    if manifest(out)["settings"]["format"] != "trl":
        die("auto: a strings-only input did not give trl output")
    ok("--format auto: conversational for an input with message lists, trl for strings only")


def cmd_concat(cai, src, tmp):
    check_hh(cai, src, tmp, os.path.join(src, "datasets/samples/hh-style.jsonl"), "hh-style")
    check_lists_and_strings(cai, src, tmp)


def cmd_hh_sample(cai, src, tmp, hh_sample):
    """The external HH-RLHF sample (tests/cli.d/hh_sample/contract.sh): both checks on it."""
    check_hh(cai, src, tmp, hh_sample, "hh-rlhf-sample")
    out = os.path.join(tmp, "schema-hh-sample")
    run_cai(cai, ["-i", hh_sample, "-c", os.path.join(src, "constitution/hhh.json"), "-o", out,
                  "--shard-records", "150"])
    check_dataset(cai, out, "the HH-RLHF sample")


# ---- 2. one schema: a simulation of `datasets`' JSON loading -----------------------------

class CastError(Exception):
    pass


def arrow_type(v):
    """The Arrow type pyarrow's JSON reader infers for one value (json.loads keeps 1 and 1.0
    apart, as Arrow does: int64 and double)."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int64"
    if isinstance(v, float):
        return "double"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        t = "null"
        for x in v:
            t = unify(t, arrow_type(x))
        return ("list", t)
    return ("struct", {k: arrow_type(x) for k, x in v.items()})


def unify(a, b):
    """Two types inside one block: null takes the other, int and double give double, structs
    take the union of their fields (a missing field is null); anything else fails the read."""
    if a == "null":
        return b
    if b == "null" or a == b:
        return a
    if isinstance(a, str) and isinstance(b, str) and {a, b} == {"int64", "double"}:
        return "double"
    if isinstance(a, tuple) and isinstance(b, tuple) and a[0] == b[0]:
        if a[0] == "list":
            return ("list", unify(a[1], b[1]))
        f = dict(a[1])
        for k, t in b[1].items():
            f[k] = unify(f.get(k, "null"), t)
        return ("struct", f)
    raise CastError("a block mixes %s and %s" % (fmt(a), fmt(b)))


def fmt(t):
    if isinstance(t, tuple):
        return "list<%s>" % fmt(t[1]) if t[0] == "list" else \
            "struct<%s>" % ", ".join("%s: %s" % (k, fmt(v)) for k, v in sorted(t[1].items()))
    return t


def cast(frm, to, where):
    """Can a block column of type frm be cast to the first block's type to? Struct fields must
    match by name (datasets' table_cast refuses other column sets); null casts to anything, int
    to double; nothing casts to null."""
    if frm == to or frm == "null":
        return
    if frm == "int64" and to == "double":
        return
    if isinstance(frm, tuple) and isinstance(to, tuple) and frm[0] == to[0]:
        if frm[0] == "list":
            return cast(frm[1], to[1], where + "[]")
        if set(frm[1]) != set(to[1]):
            raise CastError("%s: fields %s, the first block has %s" % (where, sorted(frm[1]),
                                                                      sorted(to[1])))
        for k in frm[1]:
            cast(frm[1][k], to[1][k], where + "." + k)
        return
    raise CastError("%s: couldn't cast %s to %s" % (where, fmt(frm), fmt(to)))


def blocks(files, block_bytes):
    """Records in blocks of about block_bytes of JSON text, never across files (datasets reads
    each file in chunks of its block size)."""
    for f in files:
        op = gzip.open if f.endswith(".gz") else open
        cur, size = [], 0
        with op(f, "rt", encoding="utf-8") as fh:
            for line in fh:
                cur.append(json.loads(line))
                size += len(line.encode("utf-8"))
                if size >= block_bytes:
                    yield f, cur
                    cur, size = [], 0
        if cur:
            yield f, cur


def load_like_datasets(splits, block_bytes):
    """The first block's type fixes the features; every later block, file and split is cast to
    it (datasets >= 4.7 casts every split to the first one's features)."""
    features, nblocks = None, 0
    for files in splits:
        for f, recs in blocks(files, block_bytes):
            t = ("struct", {})
            for r in recs:
                t = unify(t, arrow_type(r))
            nblocks += 1
            if features is None:
                features = t
            else:
                cast(t, features, os.path.basename(f))
    return features, nblocks


def check_simulator_catches_drift():
    """The simulator must fail the shapes cai used to write, or the checks below prove nothing."""
    bad = {
        "a key missing from the first block": [{"a": "x"}, {"a": "y", "metadata": {"s": "u"}}],
        "null in the whole first block": [{"a": None}, {"a": "x"}],
        "float after int (metadata numbers)": [{"a": 1}, {"a": 1.5}],
        "a struct field only later": [{"c": {"x": True}}, {"c": {"x": True, "h": "a"}}],
        "an empty list in the whole first block": [{"f": []}, {"f": ["leak"]}],
    }
    for why, recs in bad.items():
        path = os.path.join(TMP, "bad.jsonl")
        with open(path, "w", encoding="utf-8") as fh:
            for r in recs:
                fh.write(json.dumps(r) + "\n")
        try:
            load_like_datasets([[path]], 1)
        except CastError:
            continue
        die("the datasets simulation accepted %s" % why)
    ok("the datasets simulation rejects a missing key, an all-null first block, int then float, "
       "a late struct field and an all-empty list first")


MIXED_META = '"source":"unit","score":1.0,"big":9007199254740993,"neg":-0.0,"tags":["a", 2]'


def write_mixed(src, path):
    """Every input kind in one file; the first lines carry no extra fields, later ones do."""
    hh = read_jsonl(os.path.join(src, "datasets/samples/hh-style.jsonl"))
    lines = []
    for i in range(25):
        lines.append(json.dumps({"id": "s%d" % i, "prompt": "plain question %d?" % i,
                                 "response_a": "first answer %d" % i,
                                 "response_b": "second, longer answer number %d" % i}))
    for i in range(25):
        lines.append(json.dumps({"id": "m%d" % i, "prompt": [
            {"role": "system", "content": "Be kind."},
            {"role": "user", "content": "list question %d" % i}],
            "response_a": "yes %d" % i, "response_b": "no, not really %d" % i}))
    for i in range(25):
        rec = json.dumps({"id": "t%d" % i, "prompt": "labelled question %d" % i,
                          "chosen": "a careful answer %d" % i, "rejected": "meh %d" % i})
        lines.append(rec[:-1] + "," + MIXED_META + "}")
    for i, o in enumerate(hh):
        lines.append(json.dumps({"chosen": o["chosen"], "rejected": o["rejected"],
                                 "note": "hh line %d" % i}))
    lines.append(json.dumps({"id": "c0", "prompt": "pick one", "responses": ["one", "two", "three"],
                             "score": 2}))
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


def check_dataset(cai, out, label):
    splits = split_files(out)
    if sum(len(f) for f in splits) < 2:
        die("%s: expected several shards" % label)
    try:
        small, nsmall = load_like_datasets(splits, 600)
        big, _ = load_like_datasets(splits, 10 << 20)
    except CastError as e:
        die("%s: `datasets` would fail: %s" % (label, e))
    if small != big:
        die("%s: the schema depends on the block size" % label)
    keys = None
    for r in records(out):
        sig = sorted(r) + sorted(r["cai"])
        if keys is None:
            keys = sig
        elif sig != keys:
            die("%s: %s has keys %s, the first record %s" % (label, r["id"], sig, keys))
    p = subprocess.run([cai, "validate", out], capture_output=True, text=True)
    if p.returncode != 0 or "schema_drift" in p.stdout:
        die("%s: cai validate: %s" % (label, p.stdout[-400:]))
    ok("%s: %d blocks of 600 bytes and every split cast to the first block's features; the same "
       "keys in every record; cai validate passes" % (label, nsmall))


def cmd_schema(cai, src, tmp):
    check_simulator_catches_drift()
    hhh = os.path.join(src, "constitution/hhh.json")
    mixed = os.path.join(tmp, "mixed.jsonl")
    write_mixed(src, mixed)
    for fmt_, extra in (("auto", []), ("trl", []), ("hh", []), ("trl", ["--no-swap"])):
        out = os.path.join(tmp, "schema-%s%s" % (fmt_, "".join(extra)))
        run_cai(cai, ["-i", mixed, "-c", hhh, "-o", out, "--format", fmt_, "--keep-ties",
                      "--shard-records", "9", "--test-fraction", "0.3",
                      # the run's own validation would stop at the drift first: the simulation
                      # is what is tested here, then `cai validate` separately
                      "--no-validate"] + extra)
        check_dataset(cai, out, "mixed input, --format %s %s" % (fmt_, " ".join(extra)))
        # metadata: one string column holding the input's own bytes
        seen = 0
        for r in records(out):
            if r["id"].startswith("t"):
                seen += 1
                if r["metadata"] != "{" + MIXED_META + "}":
                    die("metadata of %s is %r, not the input's bytes" % (r["id"], r["metadata"]))
            elif r["id"].startswith("s") and r["metadata"] != "{}":
                die("metadata of %s is %r, not {}" % (r["id"], r["metadata"]))
        if not seen:
            die("no metadata-bearing record kept")
    ok("metadata is one string column carrying 1.0, 9007199254740993, -0.0 byte for byte")


# ---- 2b. what cai sample and cai revise write ----------------------------------------------

def trl_kind(r):
    """TRL's data_utils.is_conversational: the first of prompt, chosen, rejected, completion,
    messages present decides; a list whose first item is a dict with role and content is
    conversational, anything else standard. TRL looks at the first example and treats the
    dataset alike, so every record must give the same answer."""
    for k in ("prompt", "chosen", "rejected", "completion", "messages"):
        if k in r:
            v = r[k]
            return "conversational" if (isinstance(v, list) and v and isinstance(v[0], dict)
                                        and "role" in v[0] and "content" in v[0]) else "standard"
    return None


def check_trl_record(r, keys, where):
    """Prompt-completion and preference rows: every one of keys of the same kind (a string, or
    a list of {role, content} messages); a conversational prompt ends on a user turn and the
    answers are one assistant turn."""
    kinds = set()
    for k in keys:
        v = r[k]
        if isinstance(v, str):
            kinds.add("standard")
        elif isinstance(v, list) and v and all(isinstance(m, dict) and set(m) == {"role", "content"}
                                               and isinstance(m["content"], str) for m in v):
            kinds.add("conversational")
            if k == "prompt" and v[-1]["role"] != "user":
                die("%s: the prompt does not end on a user turn" % where)
            if k != "prompt" and k != "messages" and [m["role"] for m in v] != ["assistant"]:
                die("%s: %s is not one assistant turn" % (where, k))
            if k == "messages" and v[-1]["role"] != "assistant":
                die("%s: messages do not end on the assistant's turn" % where)
        else:
            die("%s: %s is neither a string nor a message list" % (where, k))
    if len(kinds) != 1:
        die("%s: %s mix strings and message lists" % (where, ", ".join(keys)))
    return kinds.pop()


def check_generated_file(path, keys, label):
    try:
        small, nsmall = load_like_datasets([[path]], 600)
        big, _ = load_like_datasets([[path]], 10 << 20)
    except CastError as e:
        die("%s: `datasets` would fail: %s" % (label, e))
    if small != big:
        die("%s: the schema depends on the block size" % label)
    kinds = set()
    n = 0
    for n, r in enumerate(read_jsonl(path), 1):
        where = "%s:%d" % (label, n)
        kinds.add(trl_kind(r))
        if keys:
            kinds.add(check_trl_record(r, keys, where))
    if n == 0:
        die("%s: no records" % label)
    if len(kinds) != 1:
        die("%s: TRL would see %s records in one file" % (label, " and ".join(sorted(kinds))))
    return kinds.pop(), nsmall


def cmd_generated(cai, src, tmp, base_url):
    pairs = os.path.join(src, "datasets/samples/pairs.jsonl")
    inputs = read_jsonl(pairs)
    nlist = sum(isinstance(o["prompt"], list) for o in inputs)
    if not nlist or nlist == len(inputs):
        die("generated: pairs.jsonl should mix string and message-list prompts")
    env = dict(os.environ, OPENAI_API_KEY="test-key")
    common = ["--base-url", base_url, "--model", "policy", "--max-tokens", "64"]

    def cai_do(args):
        p = subprocess.run([cai] + args, capture_output=True, text=True, env=env)
        if p.returncode != 0:
            die("cai %s: exit %d: %s" % (" ".join(args[:1]), p.returncode, p.stderr.strip()))

    strings = os.path.join(tmp, "gen-strings.jsonl")
    with open(strings, "w", encoding="utf-8") as fh:
        for o in inputs:
            if isinstance(o["prompt"], str):
                fh.write(json.dumps(o) + "\n")
    hhh = os.path.join(src, "constitution/hhh.json")
    for name, src_path, want in (("mixed", pairs, "conversational"),
                                 ("strings", strings, "standard")):
        S, R = os.path.join(tmp, "gen-%s-S" % name), os.path.join(tmp, "gen-%s-R" % name)
        cai_do(["sample", "-q", "-i", src_path, "-o", S, "--n", "2", "--seed", "1",
                "--skip-flagged", "--shard-records", "40"] + common)
        cai_do(["revise", "-q", "-i", S, "-o", R, "-c", hhh, "--rounds", "2",
                "--shard-records", "70"] + common)
        # the same checks on R's shards in read order, per file kind
        for pattern, keys in (("gen-%s-S/candidates*.jsonl.gz", None),
                              ("gen-%s-R/sft*.jsonl.gz", ("prompt", "completion")),
                              ("gen-%s-R/sft_messages*.jsonl.gz", ("messages",)),
                              ("gen-%s-R/pairs*.jsonl.gz", ("prompt", "chosen", "rejected"))):
            files = sorted(f for f in glob.glob(os.path.join(tmp, pattern % name))
                           if "sft_messages" not in f or "messages" in keys)
            if not files:
                die("generated: no file matches %s" % pattern % name)
            joined = os.path.join(tmp, "joined.jsonl")
            with open(joined, "w", encoding="utf-8") as out:
                for f in files:
                    with gzip.open(f, "rt", encoding="utf-8") as fh:
                        out.write(fh.read())
            kind, nblocks = check_generated_file(joined, keys, "%s %s" % (name, pattern % name))
            if keys and keys != ("messages",) and kind != want:
                die("generated: %s gave %s records, want %s" % (pattern % name, kind, want))
        for d in (S, R):
            p = subprocess.run([cai, "validate", d], capture_output=True, text=True)
            if "schema_drift" in p.stdout or p.returncode not in (0, 1):
                die("generated: cai validate %s: %s" % (os.path.basename(d), p.stdout[-600:]))
            if p.returncode != 0:
                die("generated: cai validate %s has errors: %s" % (os.path.basename(d),
                                                                   p.stdout[-600:]))
        ok("%s prompts: candidates, sft, sft_messages and pairs each load under datasets' block "
           "casting (600-byte blocks and 10 MiB), TRL sees %s records throughout, cai validate "
           "passes" % (name, want))
    check_late_skips(cai, cai_do, strings, tmp, base_url)


def check_late_skips(cai, cai_do, strings, tmp, base_url):
    """--skip-flagged where the first prompts skip nothing and later ones do: candidates records
    used to carry "skipped":[] (list<null> to Arrow) in the first block and a non-empty list
    later, which `datasets` cannot cast. Skipped responses now have a file of their own."""
    args = ["--base-url", base_url, "--model", "policy", "--max-tokens", "16", "--n", "3",
            "--seed", "1", "--skip-flagged"]
    # pass 1: which prompts skip a response (the fake's 8..24 words, cut at 16: some truncated)
    first = os.path.join(tmp, "late-1")
    cai_do(["sample", "-q", "-i", strings, "-o", first] + args)
    skipping = {r["id"] for r in read_jsonl(os.path.join(first, "skipped.jsonl.gz"))}
    kept = {r["id"] for r in read_jsonl(os.path.join(first, "candidates.jsonl.gz"))}
    if len(kept - skipping) < 5 or not kept & skipping:
        die("late skips: want prompts that skip nothing and kept ones that skip some; got %d "
            "and %d" % (len(kept - skipping), len(kept & skipping)))
    # pass 2: the prompts that skip nothing first
    late = os.path.join(tmp, "late-skips.jsonl")
    inputs = read_jsonl(strings)
    with open(late, "w", encoding="utf-8") as fh:
        for o in sorted(inputs, key=lambda o: o["id"] in skipping):
            fh.write(json.dumps(o) + "\n")
    S = os.path.join(tmp, "late-2")
    cai_do(["sample", "-q", "-i", late, "-o", S] + args)
    cands = read_jsonl(os.path.join(S, "candidates.jsonl.gz"))
    skipped = read_jsonl(os.path.join(S, "skipped.jsonl.gz"))
    if any("skipped" in r for r in cands):
        die("late skips: candidates records still carry \"skipped\"")
    for r in skipped:
        if set(r) != {"id", "index", "text", "flags"} or not any(r["flags"].values()):
            die("late skips: a skipped.jsonl.gz line is not {id,index,text,flags}: %s" % r)
    # the records as cai wrote them before, rebuilt: the simulation must reject them, or this
    # run is not the case that failed
    by_id = {}
    for r in skipped:
        by_id.setdefault(r["id"], []).append({k: r[k] for k in ("index", "text", "flags")})
    if cands[0]["id"] in by_id or not any(r["id"] in by_id for r in cands):
        die("late skips: the first record should skip nothing and a later one something")
    old = os.path.join(tmp, "late-old.jsonl")
    with open(old, "w", encoding="utf-8") as fh:
        for r in cands:
            fh.write(json.dumps(dict(r, skipped=by_id.get(r["id"], []))) + "\n")
    try:
        load_like_datasets([[old]], 600)
        die("late skips: the simulation accepted the old \"skipped\" lists")
    except CastError:
        pass
    for f in ("candidates.jsonl.gz", "skipped.jsonl.gz"):
        path = os.path.join(S, f)
        try:
            a, _ = load_like_datasets([[path]], 600)
            b, _ = load_like_datasets([[path]], 10 << 20)
        except CastError as e:
            die("late skips: `datasets` would fail on %s: %s" % (f, e))
        if a != b:
            die("late skips: %s: the schema depends on the block size" % f)
    p = subprocess.run([cai, "validate", S], capture_output=True, text=True)
    if p.returncode != 0 or "schema_drift" in p.stdout:
        die("late skips: cai validate: exit %d: %s" % (p.returncode, p.stdout[-600:]))
    ok("--skip-flagged with %d prompts skipping nothing first, then %d skipping: candidates and "
       "skipped.jsonl.gz load under datasets' block casting (the old in-record lists did not), "
       "cai validate passes"
       % (len(cands) - len({r["id"] for r in cands} & set(by_id)),
          len({r["id"] for r in cands} & set(by_id))))


# ---- 3. the card --------------------------------------------------------------------------

def cmd_card(cai, src, tmp):
    import yaml  # Debian: python3-yaml

    with open(os.path.join(src, "constitution/honest.json"), encoding="utf-8") as fh:
        c = json.load(fh)
    for i, name in enumerate(['Acme "support": {x} # [y] &z *w', "back\\slash\ttab 'single' ✓",
                              "- starts: like a list", "null"]):
        c["name"] = name
        cpath = os.path.join(tmp, "c%d.json" % i)
        with open(cpath, "w", encoding="utf-8") as fh:
            json.dump(c, fh)
        out = os.path.join(tmp, "card%d" % i)
        hh = os.path.join(src, "datasets/samples/hh-style.jsonl")
        # every pair a tie: empty splits (a judge-health error, accepted here to test the card)
        extra = ["--min-margin", "0.5", "--accept-unhealthy-judge"] if i == 1 else []
        run_cai(cai, ["-i", hh, "-c", cpath, "-o", out, "--license", 'cc-by-4.0 "x"'] + extra)
        with open(os.path.join(out, "README.md"), encoding="utf-8") as fh:
            text = fh.read()
        if not text.startswith("---\n"):
            die("card: no front matter")
        front = text[4:text.index("\n---\n", 4)]
        try:
            y = yaml.safe_load(front)
        except yaml.YAMLError as e:
            die("card for constitution %r: YAML does not parse: %s" % (name, e))
        if y["pretty_name"] != name + " preference pairs":
            die("card: pretty_name %r" % y["pretty_name"])
        if y["license"] != 'cc-by-4.0 "x"' or y["language"] != ["en"]:
            die("card: license or language wrong: %r %r" % (y["license"], y["language"]))
        for key, want in (("task_categories", "text-generation"),
                          ("annotations_creators", "machine-generated"),
                          ("size_categories", "n<1K"), ("source_datasets", "original")):
            if want not in y[key]:
                die("card: %s lacks %s" % (key, want))
        if not {"rlaif", "constitutional-ai", "trl", "preference"} <= set(y["tags"]):
            die("card: tags %r" % y["tags"])
        files = {d["split"]: d["path"] for d in y["configs"][0]["data_files"]}
        if set(files) != {"train", "test"} or any(not glob.glob(os.path.join(out, p))
                                                  for p in files.values()):
            die("card: data_files %r do not match files on disk" % files)
        counts = {s["name"]: s["num_examples"] for s in y["dataset_info"]["splits"]}
        recs = {"train": 0, "test": 0}
        first = None
        for split, flist in zip(("train", "test"), split_files(out)):
            for f in flist:
                for line in gzip.open(f, "rt", encoding="utf-8"):
                    recs[split] += 1
                    first = first or json.loads(line)
        if counts != recs:
            die("card: num_examples %r, files hold %r" % (counts, recs))
        feats = y["dataset_info"]["features"]
        if first is not None:
            if [f["name"] for f in feats] != list(first):
                die("card: features %r, records %r" % ([f["name"] for f in feats], list(first)))
            cai_struct = next(f for f in feats if f["name"] == "cai")["struct"]
            if [f["name"] for f in cai_struct] != list(first["cai"]):
                die("card: cai features differ from the records")
        for p in c["principles"]:
            if p["text"] not in text:
                die("card: principle %s's text missing" % p["id"])
        sha = hashlib.sha256(open(hh, "rb").read()).hexdigest()
        for needle in (sha, "## Fields", "## Limitations", "## Training on it",
                       "examples/train_reward_model.py", "--prompt_key prompt"):
            if needle not in text:
                die("card: %r missing from the body" % needle)
    ok("the card's YAML parses for constitutions named with quotes, colons, #, &, *, [], {}, "
       "backslash, tab, a leading '- ' and 'null'; fields, splits and counts match the files, "
       "empty splits included")


# ---- 4. the soft label reaches training -----------------------------------------------------

def cmd_reward(cai, src, tmp, base_url):
    import numpy as np  # Debian: python3-numpy

    groups = (("0.70", "alpha"), ("0.90", "beta"))
    path = os.path.join(tmp, "soft.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(240):
            p, tag = groups[i % 2]
            good = "[[p=%s]] %s answer %d" % (p, tag, i)
            other = "[[other]] %s answer %d" % (tag, i)
            a, b = (good, other) if (i // 2) % 2 else (other, good)
            fh.write(json.dumps({"id": "r%d" % i, "prompt": "question %d" % i,
                                 "response_a": a, "response_b": b}) + "\n")
    out = os.path.join(tmp, "reward")
    run_cai(cai, ["-i", path, "-c", os.path.join(src, "constitution/hhh.json"), "-o", out,
                  "--judge", "openai", "--base-url", base_url, "--model", "fake",
                  "--margin", "logit", "--test-fraction", "0"],
            env={"OPENAI_API_KEY": "test-key"})

    # features: which marker a response carries; every pair of a group has the same features
    markers = ("[[p=0.70]]", "[[other]] alpha", "[[p=0.90]]", "[[other]] beta")

    def phi(text):
        return np.array([1.0 if m in text else 0.0 for m in markers])

    X, P = [], []
    for r in records(out):
        x = phi(r["chosen"]) - phi(r["rejected"])
        if abs(r["margin"] - math.log(r["p_chosen"] / (1 - r["p_chosen"]))) > 1e-5:
            die("reward: margin %r is not logit(p_chosen %r)" % (r["margin"], r["p_chosen"]))
        X.append(x)
        P.append(r["p_chosen"])
    X, P = np.array(X), np.array(P)
    if len(P) != 240:
        die("reward: %d records, want 240" % len(P))
    for p, _ in groups:
        got = P[X[:, 0 if p == "0.70" else 2] == 1]
        if len(got) != 120 or np.max(np.abs(got - float(p))) > 1e-6:
            die("reward: p_chosen of the %s group is not %s" % (p, p))

    def fit(labels, steps=4000, lr=2.0):
        w = np.zeros(len(markers))
        for _ in range(steps):
            d = X @ w
            s = 1.0 / (1.0 + np.exp(-d))
            # gradient of -[p log s(d) + (1 - p) log s(-d)], averaged
            w -= lr * (X.T @ (s - labels)) / len(labels)
        return w

    w = fit(P)
    for k, (p, _) in enumerate(groups):
        gap = w[2 * k] - w[2 * k + 1]
        want = math.log(float(p) / (1 - float(p)))
        if abs(gap - want) > 0.05:
            die("reward: soft-label fit gap %.4f for p = %s, want logit = %.4f ± 0.05" % (gap, p,
                                                                                          want))
        print("  soft labels, p = %s: fitted reward gap %.4f, logit(p) = %.4f" % (p, gap, want))
    hard = fit(np.ones(len(P)))
    if not hard[0] - hard[1] > 3.0:
        die("reward: hard labels gave a finite gap %.3f; the test cannot tell the losses apart"
            % (hard[0] - hard[1]))
    print("  hard labels after the same steps: gap %.2f and still growing" % (hard[0] - hard[1]))
    ok("Bradley-Terry with the soft-label loss on cai output fits logit(p) ± 0.05")


def main():
    global TMP
    if len(sys.argv) < 5:
        die(__doc__)
    cmd, cai, src, TMP = sys.argv[1:5]
    rest = sys.argv[5:]
    if cmd == "concat":
        cmd_concat(cai, src, TMP, *rest)
    elif cmd == "schema":
        cmd_schema(cai, src, TMP, *rest)
    elif cmd == "hh-sample":
        cmd_hh_sample(cai, src, TMP, *rest)
    elif cmd == "card":
        cmd_card(cai, src, TMP)
    elif cmd == "generated":
        cmd_generated(cai, src, TMP, *rest)
    elif cmd == "reward":
        cmd_reward(cai, src, TMP, *rest)
    else:
        die("unknown command " + cmd)


TMP = None
if __name__ == "__main__":
    main()
