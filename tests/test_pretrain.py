"""The pretraining recipe on a tiny corpus and a tiny encoder, on CPU."""

from __future__ import annotations

import json
import lzma

import torch

from training.pretrain import main, mask_tokens, near_duplicate_filter, pack
from zhinvest.vocab import CharVocab

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + list("该项目总投资亿元的智慧物流科技港今日动工中山市签约2019")


def test_masking_follows_the_bert_recipe():
    vocab = CharVocab(VOCAB)
    ids = torch.full((64, 512), 7)
    ids[:, 0], ids[:, -1] = vocab.cls_id, vocab.sep_id
    inputs, labels = mask_tokens(ids, vocab, torch.Generator().manual_seed(0))
    chosen = labels != -100
    assert 0.13 < chosen.float().mean() < 0.17
    assert not chosen[:, 0].any() and not chosen[:, -1].any()
    assert 0.75 < (inputs[chosen] == vocab.mask_id).float().mean() < 0.85


def test_packing_and_near_duplicates():
    vocab = CharVocab(VOCAB)
    assert near_duplicate_filter(["项目2019签约", "项目2020签约", "中山项目"]) == ["项目2019签约", "中山项目"]
    rows = pack(["该项目 总投资", "中山市签约"], vocab, seq_len=4)
    assert rows.shape == (4, 4) and (rows[:, 0] == vocab.cls_id).all()
    assert vocab.sep_id in rows[:, 1:]


def test_tiny_pretraining_run_saves_a_loadable_encoder(tmp_path):
    from transformers import BertModel

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    lines = ["该项目总投资20亿元，今日动工。", "智慧物流科技港项目在中山市签约。"] * 200
    with lzma.open(corpus / "c.txt.xz", "wt", encoding="utf-8") as handle:
        handle.write("\n".join(lines))
    (tmp_path / "vocab.txt").write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    out = tmp_path / "encoder"
    main(["--corpus", str(corpus), "--vocab", str(tmp_path / "vocab.txt"), "--out", str(out), "--steps", "200",
          "--batch-size", "16", "--seq-len", "32", "--layers", "1", "--hidden", "64", "--heads", "2", "--lr", "3e-3",
          "--warmup", "20", "--held-out-lines", "20", "--eval-every", "100", "--device", "cpu"])
    info = json.loads((out / "pretrain_info.json").read_text(encoding="utf-8"))
    losses = [h["held_out_loss"] for h in info["history"]]
    assert losses[-1] < losses[0] < 3.6  # it learns; a uniform guess over the vocabulary is ln(33) ≈ 3.5
    encoder = BertModel.from_pretrained(out)
    assert encoder.config.num_hidden_layers == 1 and (out / "vocab.txt").is_file()


def test_domain_adaptive_run_continues_a_checkpoint_on_articles_without_dev(tmp_path):
    from training.pretrain import article_lines, dev_articles

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    with lzma.open(corpus / "gov_biz_00.txt.xz", "wt", encoding="utf-8") as handle:
        handle.write("\n".join(["智慧物流科技港项目在中山市签约。"] * 100))
    with lzma.open(corpus / "law_00.txt.xz", "wt", encoding="utf-8") as handle:
        handle.write("不应读取。\n")
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "a.txt").write_text("该项目总投资20亿元，今日动工。\n\n", encoding="utf-8")
    (articles / "d.txt").write_text("开发区项目。", encoding="utf-8")
    split = tmp_path / "split.json"
    split.write_text(json.dumps({"train": ["a.txt"], "dev": ["d.txt"]}), encoding="utf-8")
    assert article_lines([articles], dev_articles(split)) == ["该项目总投资20亿元，今日动工。"]

    (tmp_path / "vocab.txt").write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    common = ["--corpus", str(corpus), "--vocab", str(tmp_path / "vocab.txt"), "--batch-size", "16", "--seq-len", "32",
              "--layers", "1", "--hidden", "64", "--heads", "2", "--lr", "3e-3", "--warmup", "10",
              "--held-out-lines", "10", "--device", "cpu"]
    main(common + ["--out", str(tmp_path / "start"), "--steps", "20", "--eval-every", "20"])
    main(common + ["--out", str(tmp_path / "adapted"), "--steps", "60", "--eval-every", "60", "--init",
                   str(tmp_path / "start"), "--shards", "gov_biz*", "--articles", str(articles),
                   "--exclude-dev", str(split)])
    history = json.loads((tmp_path / "adapted" / "pretrain_info.json").read_text(encoding="utf-8"))["history"]
    assert history[0]["step"] == 0 and history[-1]["step"] == 60
    assert history[-1]["held_out_loss"] < history[0]["held_out_loss"]  # it starts from the checkpoint and adapts
