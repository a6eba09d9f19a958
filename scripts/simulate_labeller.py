#!/usr/bin/env python3
"""Stands in for human labellers in demos and tests: answers each `cai route` task with the
bundled sample's intended label, in the task's own slots.

usage: scripts/simulate_labeller.py TASKS.jsonl PAIRS.jsonl LABELS.tsv > answers.jsonl

TASKS.jsonl is `cai route`'s tasks.jsonl ({"id", "prompt", "a", "b", ...}); PAIRS.jsonl the input
the dataset was made from ({"id", "response_a", "response_b", ...}); LABELS.tsv its intended
labels (id TAB a|b|tie, the input's slots). Route shows the responses in a neutral order, so the
intended response is found by its text: the answer names the slot (a or b) that shows it, as a
labeller clicking it would. Tasks with no intended label are left unanswered.
"""
import json
import sys


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    tasks, pairs, labels = sys.argv[1:]
    want = {}
    with open(labels, encoding="utf-8") as fh:
        for line in fh:
            pid, label = line.rstrip("\n").split("\t")
            want[pid] = label
    texts = {}
    with open(pairs, encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            texts[r["id"]] = (r["response_a"], r["response_b"])
    with open(tasks, encoding="utf-8") as fh:
        for line in fh:
            t = json.loads(line)
            label = want.get(t["id"])
            if label is None or t["id"] not in texts:
                continue
            if label == "tie":
                answer = "tie"
            else:
                preferred = texts[t["id"]][0 if label == "a" else 1]
                answer = "a" if t["a"] == preferred else "b"
            print(json.dumps({"id": t["id"], "chosen": answer}))


if __name__ == "__main__":
    main()
