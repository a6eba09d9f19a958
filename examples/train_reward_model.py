#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Train a reward model on a cai dataset with the soft-label loss (TRL RewardTrainer).

    python examples/train_reward_model.py --data out/ --model Qwen/Qwen2.5-0.5B --output rm/

TRL's own loss is -log sigmoid(r_c - r_r - margin): it ignores `p_chosen` and pushes every
reward gap towards infinity. Here the loss is the one of the Constitutional AI preference model,

    loss = -[p * log sigmoid(d) + (1 - p) * log sigmoid(-d)],   d = r_chosen - r_rejected,

whose minimum is at d = logit(p): a pair judged 0.7 asks for a gap of 0.85, not more.
`tests/reward_fit.py` checks that property with numpy on real cai output.

Needs: torch, transformers, datasets, trl (any release with RewardTrainer/RewardConfig).
The dataset is tokenised here, into the pre-tokenised columns TRL's reward docs name
(input_ids_chosen, attention_mask_chosen, input_ids_rejected, attention_mask_rejected), plus
p_chosen, which survives only because remove_unused_columns=False and this file's collator
keeps it.
"""
import argparse

import torch
import torch.nn.functional as F
from datasets import load_dataset
from transformers import AutoModelForSequenceClassification, AutoTokenizer
from trl import RewardConfig, RewardTrainer


def texts(rec, tok):
    """prompt + chosen and prompt + rejected as the model sees them (cai's trl records are
    built so that plain concatenation is right; conversational ones go through the template)."""
    if isinstance(rec["chosen"], list):
        c = tok.apply_chat_template(rec["prompt"] + rec["chosen"], tokenize=False)
        r = tok.apply_chat_template(rec["prompt"] + rec["rejected"], tokenize=False)
        return c, r
    prompt = rec.get("prompt", "")  # `hh` records carry the whole transcript in chosen/rejected
    return prompt + rec["chosen"], prompt + rec["rejected"]


def tokenise(rec, tok, max_len):
    c, r = texts(rec, tok)
    ec = tok(c, truncation=True, max_length=max_len)
    er = tok(r, truncation=True, max_length=max_len)
    return {
        "input_ids_chosen": ec["input_ids"],
        "attention_mask_chosen": ec["attention_mask"],
        "input_ids_rejected": er["input_ids"],
        "attention_mask_rejected": er["attention_mask"],
        "p_chosen": float(rec["p_chosen"]),
    }


class SoftLabelCollator:
    """Pads both sides and keeps p_chosen (TRL's own collator would drop it)."""

    def __init__(self, tok):
        self.tok = tok

    def __call__(self, feats):
        out = {}
        for side in ("chosen", "rejected"):
            batch = self.tok.pad(
                [{"input_ids": f["input_ids_" + side], "attention_mask": f["attention_mask_" + side]}
                 for f in feats],
                return_tensors="pt",
            )
            out["input_ids_" + side] = batch["input_ids"]
            out["attention_mask_" + side] = batch["attention_mask"]
        out["p_chosen"] = torch.tensor([f["p_chosen"] for f in feats], dtype=torch.float32)
        out["return_loss"] = True
        return out


class SoftLabelRewardTrainer(RewardTrainer):
    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        r_c = model(input_ids=inputs["input_ids_chosen"],
                    attention_mask=inputs["attention_mask_chosen"]).logits.squeeze(-1)
        r_r = model(input_ids=inputs["input_ids_rejected"],
                    attention_mask=inputs["attention_mask_rejected"]).logits.squeeze(-1)
        d = r_c - r_r
        p = inputs["p_chosen"].to(d.dtype)
        loss = -(p * F.logsigmoid(d) + (1 - p) * F.logsigmoid(-d)).mean()
        if return_outputs:
            return loss, {"rewards_chosen": r_c, "rewards_rejected": r_r}
        return loss


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="the cai output directory")
    ap.add_argument("--model", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--max-length", type=int, default=1024)
    ap.add_argument("--epochs", type=float, default=1.0)
    ap.add_argument("--lr", type=float, default=1e-5)
    ap.add_argument("--batch-size", type=int, default=8)
    a = ap.parse_args()

    tok = AutoTokenizer.from_pretrained(a.model)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    model = AutoModelForSequenceClassification.from_pretrained(a.model, num_labels=1)
    model.config.pad_token_id = tok.pad_token_id

    ds = load_dataset(a.data)  # the card declares train and test
    cols = ds["train"].column_names
    ds = ds.map(lambda r: tokenise(r, tok, a.max_length), remove_columns=cols)

    args = RewardConfig(
        output_dir=a.output,
        num_train_epochs=a.epochs,
        learning_rate=a.lr,
        per_device_train_batch_size=a.batch_size,
        per_device_eval_batch_size=a.batch_size,
        remove_unused_columns=False,  # keep p_chosen: the Trainer drops unknown columns
    )
    trainer = SoftLabelRewardTrainer(
        model=model,
        args=args,
        train_dataset=ds["train"],
        eval_dataset=ds["test"] if len(ds["test"]) else None,
        data_collator=SoftLabelCollator(tok),
        processing_class=tok,
    )
    trainer.train()
    trainer.save_model(a.output)


if __name__ == "__main__":
    main()
