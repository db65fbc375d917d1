"""Training end to end on a tiny encoder: overfit invented articles, save, reload, same predictions."""

from __future__ import annotations

import json

import pytest
import torch

from synthetic import make_document
from training.config import TrainConfig
from training.train import train
from zhinvest import Extractor
from zhinvest.annotation import save_document
from zhinvest.evaluation import gold_sets, predicted_sets


@pytest.fixture(scope="module")
def tiny_setup(tmp_path_factory):
    from conftest import build_tiny_model

    root = tmp_path_factory.mktemp("train")
    model, vocab = build_tiny_model(seed=1)
    encoder_dir = root / "encoder"
    model.encoder.save_pretrained(encoder_dir)
    vocab.save(encoder_dir / "vocab.txt")
    articles, store = root / "articles", root / "store"
    articles.mkdir()
    names = {"train": [], "dev": []}
    # the dev article repeats a training article: the test checks memorisation, not generalisation
    for name, seed in [(f"{k:04d}.txt", k) for k in range(12)] + [("dev0.txt", 0)]:
        doc = make_document(name, sentences=3, seed=seed)
        (articles / doc.id).write_text(doc.text, encoding="utf-8")
        save_document(doc, store)
        names["dev" if name.startswith("dev") else "train"].append(doc.id)
    (root / "split.json").write_text(json.dumps(names), encoding="utf-8")
    return root, encoder_dir, articles, store


def test_training_overfits_saves_and_reloads(tiny_setup):
    root, encoder_dir, articles, store = tiny_setup
    config = TrainConfig(base_encoder=str(encoder_dir), output_dir=str(root / "model"), run_dir=str(root / "run"),
                         store=str(store), split=str(root / "split.json"), articles=str(articles), epochs=60,
                         batch_size=4, learning_rate=5e-3, head_learning_rate=5e-3, warmup_ratio=0.05,
                         max_length=128, overlap=16, max_pair_distance=40, patience=40, device="cpu",
                         save_dtype="float32", freeze_word_embeddings=False, pair_counts=True)
    record = train(config)
    assert record["dev_report"]["entities"]["micro"]["f1"] == 1.0
    assert record["dev_report"]["triples"]["f1"] == 1.0

    extractor = Extractor.from_pretrained(root / "model", device="cpu", quantize=False)
    assert extractor.settings.pair_counts and hasattr(extractor.model, "count_embeddings")
    train_doc = make_document("0000.txt", sentences=3, seed=0)
    result = extractor(train_doc.text, doc_date=train_doc.doc_date)
    gold_spans, _, gold_triples = gold_sets(train_doc)
    predicted_spans, _, predicted_triples = predicted_sets(result)
    assert predicted_spans == gold_spans
    assert predicted_triples == gold_triples

    reloaded = Extractor.from_pretrained(root / "model", device="cpu", quantize=False)
    assert reloaded(train_doc.text, doc_date=train_doc.doc_date) == result
    saved = json.loads((root / "model" / "training.json").read_text(encoding="utf-8"))
    assert saved["train_articles"] == 12 and saved["dev_articles"] == 1
    card = (root / "model" / "README.md").read_text(encoding="utf-8")
    assert f"best epoch: {saved['best_epoch']} of" in card and "| triples | 1.000 | 1.000 | 1.000 |" in card


def test_resume_continues_from_checkpoint(tiny_setup):
    root, encoder_dir, articles, store = tiny_setup
    common = dict(base_encoder=str(encoder_dir), output_dir=str(root / "model2"), run_dir=str(root / "run2"),
                  store=str(store), split=str(root / "split.json"), articles=str(articles), batch_size=4,
                  max_length=128, overlap=16, max_pair_distance=40, device="cpu")
    first = train(TrainConfig(epochs=1, **common))
    resumed = train(TrainConfig(epochs=2, **common), resume=True)
    assert [h["epoch"] for h in first["history"]] == [1]
    assert [h["epoch"] for h in resumed["history"]] == [1, 2]


def test_mention_replacement_and_weight_average_train_and_resume(tiny_setup):
    root, encoder_dir, articles, store = tiny_setup
    common = dict(base_encoder=str(encoder_dir), output_dir=str(root / "model3"), run_dir=str(root / "run3"),
                  store=str(store), split=str(root / "split.json"), articles=str(articles), batch_size=4,
                  max_length=128, overlap=16, max_pair_distance=40, device="cpu",
                  mention_replacement=0.5, weight_average_decay=0.9)
    first = train(TrainConfig(epochs=1, **common))
    assert (root / "run3" / "checkpoint" / "average.pt").is_file()
    resumed = train(TrainConfig(epochs=2, **common), resume=True)
    assert [h["epoch"] for h in resumed["history"]] == [1, 2]
    assert first["history"][0] == resumed["history"][0]
    assert {"raw_dev_entity_f1", "raw_dev_triple_f1", "dev_entity_f1", "dev_triple_f1"} <= set(first["history"][0])


def test_two_runs_of_one_config_give_identical_weights(tiny_setup):
    from safetensors.torch import load_file

    root, encoder_dir, articles, store = tiny_setup
    weights = []
    for name in ("same_a", "same_b"):
        config = TrainConfig(base_encoder=str(encoder_dir), output_dir=str(root / name), run_dir=str(root / f"run_{name}"),
                             store=str(store), split=str(root / "split.json"), articles=str(articles), epochs=2,
                             batch_size=4, max_length=128, overlap=16, max_pair_distance=40, device="cpu",
                             save_dtype="float32", mention_replacement=0.5, weight_average_decay=0.9)
        train(config)
        weights.append(load_file(str(root / name / "model.safetensors")))
    assert weights[0].keys() == weights[1].keys()
    assert all(torch.equal(weights[0][key], weights[1][key]) for key in weights[0])


def test_seeding_makes_the_span_indexing_backward_repeatable():
    from training.train import seed_everything

    seed_everything(0)  # without deterministic kernels, colliding indices accumulate in thread order
    generator = torch.Generator().manual_seed(0)
    hidden = torch.randn(8, 512, 384, generator=generator, requires_grad=True)
    rows, starts = torch.randint(0, 8, (4000,), generator=generator), torch.randint(0, 40, (4000,), generator=generator)
    weights = torch.randn(4000, 384, generator=generator)
    grads = []
    for _ in range(4):
        hidden.grad = None
        (hidden[rows, starts] * weights).sum().backward()
        grads.append(hidden.grad.clone())
    assert all(torch.equal(grads[0], g) for g in grads[1:])


def test_config_overrides_are_typed_and_checked(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('epochs = 3\nbase_encoder = "x"\n', encoding="utf-8")
    config = TrainConfig.load(path, ["learning_rate=0.5", "bf16=false"])
    assert (config.epochs, config.base_encoder, config.learning_rate, config.bf16) == (3, "x", 0.5, False)
    assert TrainConfig.load(path, ["auxiliary=a.txt,b.json"]).auxiliary == ["a.txt", "b.json"]
    assert TrainConfig.load(path, ["auxiliary="]).auxiliary == []
    with pytest.raises(ValueError, match="unknown config keys"):
        path.write_text("epoch = 3\n", encoding="utf-8")
        TrainConfig.load(path)
    with pytest.raises(ValueError, match="key=value"):
        TrainConfig.load(None, ["nonsense=1"])
    assert torch.get_num_threads() >= 1


def test_resuming_after_the_first_stage_gives_the_weights_of_a_plain_run(tiny_setup):
    """The public-NER stage can be run once and its checkpoint reused (learning curves, ablations)."""
    import shutil

    from safetensors.torch import load_file

    root, encoder_dir, articles, store = tiny_setup
    doc = make_document("aux.txt", sentences=3, seed=5)
    tags = ["O"] * len(doc.text)
    for span in doc.spans:
        if span.label == "LOC":
            tags[span.start:span.end] = ["B-LOC"] + ["I-LOC"] * (span.end - span.start - 1)
    places = root / "places.txt"
    places.write_text("\n".join(f"{c} {t}" for c, t in zip(doc.text, tags)) + "\n", encoding="utf-8")
    common = dict(base_encoder=str(encoder_dir), store=str(store), split=str(root / "split.json"),
                  articles=str(articles), batch_size=4, max_length=128, overlap=16, max_pair_distance=40,
                  device="cpu", save_dtype="float32", auxiliary=[str(places)], epochs=2)
    train(TrainConfig(output_dir=str(root / "plain"), run_dir=str(root / "run_plain"), **common))
    first_stage = json.loads((root / "run_plain" / "first-stage" / "state.json").read_text(encoding="utf-8"))
    assert first_stage["epoch"] == 0 and first_stage["auxiliary"]["sentences"] == 1

    # another run folder starts from the plain run's first-stage checkpoint
    shutil.copytree(root / "run_plain" / "first-stage", root / "run_resumed" / "checkpoint")
    train(TrainConfig(output_dir=str(root / "resumed"), run_dir=str(root / "run_resumed"), **common), resume=True)
    plain, resumed = (load_file(str(root / name / "model.safetensors")) for name in ("plain", "resumed"))
    assert all(torch.equal(plain[key], resumed[key]) for key in plain)


def test_learning_curve_trains_each_share_and_scores_on_the_same_dev(tiny_setup, tmp_path):
    from training.learning_curve import main as learning_curve

    root, encoder_dir, articles, store = tiny_setup
    config = tmp_path / "tiny.toml"
    config.write_text("\n".join([
        f'base_encoder = "{encoder_dir}"', f'store = "{store}"', f'split = "{root / "split.json"}"',
        f'articles = ["{articles}"]', "epochs = 1", "batch_size = 4", "max_length = 128", "overlap = 16",
        "max_pair_distance = 40", 'device = "cpu"', 'save_dtype = "float32"']) + "\n", encoding="utf-8")
    out = tmp_path / "curve"
    assert learning_curve(["--config", str(config), "--fractions", "0.5", "1.0", "--runs", str(tmp_path / "runs"),
                           "--out", str(out)]) == 0
    points = json.loads((out / "learning_curve.json").read_text(encoding="utf-8"))
    assert [p["train_articles"] for p in points] == [6, 12]
    assert all(p["dev"]["all dev"]["articles"] == 1 for p in points)
    assert (out / "learning_curve.png").stat().st_size > 0
    assert (out / "learning_curve.md").read_text(encoding="utf-8").count("| 50% | 6 |") >= 1


def test_word_features_train_save_and_reload(tiny_setup, recwarn):
    """A model trained with word and place features records its segmenter and reloads to the same results."""
    root, encoder_dir, articles, store = tiny_setup
    doc = make_document("aux.txt", sentences=2, seed=7)
    tags = ["O"] * len(doc.text)
    places = root / "places_features.txt"
    places.write_text("\n".join(f"{c} {t}" for c, t in zip(doc.text, tags)) + "\n", encoding="utf-8")
    config = TrainConfig(base_encoder=str(encoder_dir), output_dir=str(root / "featured"), run_dir=str(root / "run_f"),
                         store=str(store), split=str(root / "split.json"), articles=str(articles), epochs=2,
                         batch_size=4, max_length=128, overlap=16, max_pair_distance=40, device="cpu",
                         save_dtype="float32", features=True, auxiliary=[str(places)])
    train(config)
    saved = json.loads((root / "featured" / "config.json").read_text(encoding="utf-8"))["zhinvest"]["features"]
    assert saved["segmenter"] == "jieba" and len(saved["dictionary_sha256"]) == 64
    extractor = Extractor.from_pretrained(root / "featured", device="cpu", quantize=False)
    assert extractor.model.feature_embedding.weight.abs().sum() > 0  # the features were trained
    text = make_document("0001.txt", sentences=3, seed=1).text
    first = extractor(text)
    assert Extractor.from_pretrained(root / "featured", device="cpu", quantize=False)(text) == first
    assert not [w for w in recwarn if "segmenter" in str(w.message)]
