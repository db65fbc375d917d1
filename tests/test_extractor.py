"""The extractor on a tiny random model: offsets, batching, windows, save/load and bad input."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings, strategies as st

import zhinvest
from zhinvest import Extraction, Extractor, extract, extract_batch
from zhinvest.assemble import cross_window_pairs, merge_windows, prepare
from zhinvest.decoding import TaggedSpan
from zhinvest.inference import WindowOutput
from zhinvest.modeling import ModelSettings
from zhinvest.relations import candidate_pairs, pair_counts

ARTICLE = ("中山市火炬開發區與抖音集團簽約，總投資超64億元的智慧物流科技港項目今日動工。\r\n"
           "西區(qū)新能源汽车零部件制造基地落户中山，总投资20亿元。😀𠮷\x07")


def same_results(a: list[Extraction], b: list[Extraction]) -> bool:
    """Equal up to float noise in scores (padding changes the order of float operations)."""
    def strip(e: Extraction):
        return (e.text, e.doc_date, [(x.label, x.start, x.end, x.text, x.value) for x in e.entities],
                [(r.label, r.head, r.tail) for r in e.relations], e.projects)

    def scores(e: Extraction):
        return [x.score for x in e.entities] + [r.score for r in e.relations]

    return len(a) == len(b) and all(strip(x) == strip(y) and scores(x) == pytest.approx(scores(y), abs=1e-4)
                                    for x, y in zip(a, b))


def check_offsets(text: str, result: Extraction) -> None:
    assert result.text == text
    previous_end = 0
    for entity in result.entities:
        assert text[entity.start:entity.end] == entity.text
        assert entity.start >= previous_end and entity.end > entity.start  # sorted, no overlap
        previous_end = entity.end
        assert entity.label in ("PROJECT", "MONEY", "DATE", "ORG", "LOC")
    for relation in result.relations:
        assert result.entities[relation.head].label == "PROJECT"
        assert 0 <= relation.tail < len(result.entities)


_alphabet = st.sampled_from(list("该项目总投资亿元億區開發中山西区市，。！\n\r\t 　ＡＢ１２abc()（）😀𠮷\u200b\x00\x07é")
                            + ["(qū)", "\r\n", "智慧物流科技港", "20亿元"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_alphabet, max_size=300).map("".join))
def test_offsets_always_slice_the_original_text(tiny_extractor, text):
    check_offsets(text, tiny_extractor(text))


def test_traditional_article_with_pinyin_artifacts(tiny_extractor):
    result = tiny_extractor(ARTICLE, doc_date="2021-03-09")
    assert result.entities, "the tiny model's biased tagger should find spans"
    check_offsets(ARTICLE, result)
    json.dumps(result.to_dict(), ensure_ascii=False)


def test_batch_equals_one_by_one_for_any_batch_size(tiny_extractor, tiny_model_dir):
    texts = [ARTICLE, "", "中山" * 300, ARTICLE[:20], "项目。" * 80]
    single = [tiny_extractor(t, doc_date="2021-03-09") for t in texts]
    for batch_size in (1, 2, 7):
        assert same_results(list(tiny_extractor.pipe(texts, ["2021-03-09"] * len(texts), batch_size=batch_size)),
                            single)
    # the API's default on the CPU is int8, which must be as independent of the batch as float32
    int8 = Extractor.from_pretrained(tiny_model_dir, device="cpu")
    single_int8 = [int8(t, doc_date="2021-03-09") for t in texts]
    assert same_results(extract_batch(texts, doc_dates=["2021-03-09"] * len(texts), model=tiny_model_dir,
                                      batch_size=3), single_int8)
    assert same_results([extract(ARTICLE, doc_date="2021-03-09", model=tiny_model_dir)], single_int8[:1])


def test_save_load_round_trip_gives_identical_output(tiny_extractor, tmp_path):
    tiny_extractor.model.save_pretrained(tmp_path / "copy", tiny_extractor.vocab)
    reloaded = Extractor.from_pretrained(tmp_path / "copy", device="cpu", quantize=False)
    assert reloaded(ARTICLE, "2021-03-09") == tiny_extractor(ARTICLE, "2021-03-09")


def test_long_documents_lose_no_text(tiny_extractor):
    text = ("瑞丰智能装备制造基地项目总投资12.5亿元，落户中山市火炬开发区。\n" * 40)
    result = tiny_extractor(text)
    check_offsets(text, result)
    assert max(e.end for e in result.entities) > len(text) - 40  # the last window is read too


@pytest.mark.parametrize("bad", [None, 42, b"bytes", ["list"]])
def test_non_string_input_raises_type_error_naming_the_type(tiny_extractor, bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        tiny_extractor(bad)
    with pytest.raises(TypeError, match=type(bad).__name__):
        list(tiny_extractor.pipe(["ok", bad]))


@pytest.mark.parametrize("blank", ["", "   ", "\n\r\n\t", "\u3000\u200b"])
def test_blank_text_gives_an_empty_extraction(tiny_extractor, blank):
    result = tiny_extractor(blank)
    assert (result.text, result.entities, result.relations, result.projects) == (blank, (), (), ())


def test_bad_arguments_raise_clear_errors(tiny_extractor, tiny_model_dir):
    with pytest.raises(ValueError, match="not an ISO date"):
        tiny_extractor("项目", doc_date="March 9")
    with pytest.raises(ValueError, match="batch_size"):
        list(tiny_extractor.pipe(["项目"], batch_size=0))
    with pytest.raises(ValueError, match="not a torch device"):
        Extractor.from_pretrained(tiny_model_dir, device="gpu0")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            Extractor.from_pretrained(tiny_model_dir, device="cuda")
    with pytest.raises(TypeError, match="single str"):
        extract_batch("项目", model=tiny_model_dir)
    with pytest.raises(ValueError, match="doc_dates has 1 items"):
        extract_batch(["a", "b"], doc_dates=["2021-01-01"], model=tiny_model_dir)


def test_doc_date_accepts_dates_and_datetimes(tiny_extractor):
    by_string = tiny_extractor(ARTICLE, "2021-03-09")
    assert tiny_extractor(ARTICLE, dt.date(2021, 3, 9)) == by_string
    assert tiny_extractor(ARTICLE, dt.datetime(2021, 3, 9, 8, 30)) == by_string
    assert by_string.doc_date == "2021-03-09"


def test_a_megabyte_of_text(quiet_extractor):
    text = ("中山市火炬开发区项目签约总投资20亿元。\n" * 60000)[:1_000_000]
    result = quiet_extractor(text)
    check_offsets(text, result)


def test_default_model_comes_from_the_environment(monkeypatch, tiny_model_dir):
    monkeypatch.setenv("ZHINVEST_MODEL", str(tiny_model_dir))
    assert zhinvest.default_model_path() == tiny_model_dir
    assert extract("项目") == Extractor.from_pretrained(tiny_model_dir)("项目")


# ---------------------------------------------------------------- window merging

def _settings() -> ModelSettings:
    return ModelSettings(max_length=40, overlap=10, max_pair_distance=30)


def test_merging_windows_equals_the_single_window_result(tiny_extractor):
    """When every window agrees with a single pass, merging reproduces that single pass exactly."""
    text = "，".join(f"项目{k}在中山签约投资{k}亿元" for k in range(12)) + "。"
    vocab = tiny_extractor.vocab
    whole_settings = ModelSettings(max_length=len(text) + 2, overlap=0, max_pair_distance=30)
    whole = prepare(text, None, whole_settings, vocab)
    truth = [TaggedSpan(m, m + 2, 0, 0.9) for m in range(len(text)) if text.startswith("中山", m)]
    truth += [TaggedSpan(m, m + 2, 1, 0.8) for m in range(len(text)) if text.startswith("亿元", m)]
    truth.sort(key=lambda s: s.start)
    single = merge_windows(whole, [WindowOutput(spans=truth)], whole_settings)

    windowed = prepare(text, None, _settings(), vocab)
    assert len(windowed.windows) > 3
    outputs = [WindowOutput(spans=[TaggedSpan(s.start - w.start, s.end - w.start, s.label, s.score)
                                   for s in truth if w.start <= s.start and s.end <= w.end])
               for w in windowed.windows]
    assert merge_windows(windowed, outputs, _settings()).spans == single.spans


def test_window_cores_tile_the_text(tiny_extractor):
    text = "项目签约。" * 50
    windows = prepare(text, None, _settings(), tiny_extractor.vocab).windows
    assert windows[0].core_start == 0 and windows[-1].core_end == len(text)
    assert all(a.core_end == b.core_start for a, b in zip(windows, windows[1:]))
    assert all(w.end - w.start <= _settings().max_chars for w in windows)


def test_pairs_split_across_windows_are_scored_from_span_vectors(tiny_extractor):
    """A project and an amount in one long sentence, in no common window: their span vectors,
    taken from different windows, are scored exactly as a window would score them."""
    text = "中" * 20 + "项目" + "中" * 28 + "亿元" + "山" * 40
    settings_ = ModelSettings(max_length=40, overlap=4, max_pair_distance=35, pair_counts=True)
    doc = prepare(text, None, settings_, tiny_extractor.vocab)
    assert not any(w.contains(20, 52) for w in doc.windows)
    outputs = []
    for w in doc.windows:
        spans, vectors = [], []
        for start, end, label, fill in ((20, 22, 0, 1.0), (50, 52, 1, 2.0)):
            if w.contains(start, end):
                spans.append(TaggedSpan(start - w.start, end - w.start, label, 0.9))
                vectors.append(np.full(64, fill + w.start, dtype=np.float32))  # which window it came from
        outputs.append(WindowOutput(spans=spans, span_vectors=np.array(vectors).reshape(len(spans), 64)))
    merged = merge_windows(doc, outputs, settings_)
    assert merged.missing == [((20, 22, "PROJECT"), (50, 52, "MONEY"), 0, (0, 0, 0))]
    pairs, features = cross_window_pairs(doc, merged, np.array([tiny_extractor.vocab.encode("。")[0]]))
    assert pairs == [((20, 22, "PROJECT"), (50, 52, "MONEY"))]
    assert features.distance.tolist() == [30] and features.crossings.tolist() == [0]
    assert features.relation.tolist() == [0] and features.counts.tolist() == [[0, 0, 0]]
    # each span's vector comes from the window where it is most central
    for row, (start, end), fill in ((features.head, (20, 22), 1.0), (features.tail, (50, 52), 2.0)):
        best = max((w for w in doc.windows if w.contains(start, end)), key=lambda w: w.centrality((start + end) / 2))
        assert row[0, 0] == fill + best.start


def test_cross_window_scores_equal_in_window_scores(tiny_extractor):
    """Features built on the document side (distance, sentence ends) match the in-window relation head."""
    from zhinvest.assemble import MergedDocument

    model, vocab = tiny_extractor.model, tiny_extractor.vocab
    text = "跨境电商产业园项目签约。总投资20亿元。今日动工"
    doc = prepare(text, None, tiny_extractor.settings, vocab)
    project, money, date = (9 - 7, 9, "PROJECT"), (15, 19, "MONEY"), (20, 22, "DATE")
    ids = torch.tensor([[vocab.cls_id, *doc.ids, vocab.sep_id]])
    with torch.inference_mode():
        hidden, _ = model(ids, torch.ones_like(ids))
        vectors = {key: model.span_vectors(hidden, torch.tensor([0]), torch.tensor([key[0] + 1]),
                                           torch.tensor([key[1] + 1]))[0].numpy()
                   for key in (project, money, date)}
        rows = torch.tensor([[0, project[0] + 1, project[1] + 1, tail[0] + 1, tail[1] + 1] for tail in (money, date)])
        counts = torch.tensor([[0, 0, 0], [0, 1, 1]])  # as if a DATE and a PROJECT lay between the project and the date
        expected = torch.sigmoid(model.relation_logits(hidden, rows, ids, counts))[[0, 1], [0, 1]].numpy()
    merged = MergedDocument(spans=[], pair_scores={}, vectors=vectors,
                            missing=[(project, money, 0, (0, 0, 0)), (project, date, 1, (0, 1, 1))])
    pairs, features = cross_window_pairs(doc, merged, model.sentence_end_ids.numpy())
    assert pairs == [(project, money), (project, date)]
    assert features.crossings.tolist() == [1, 2] and features.counts.tolist() == [[0, 0, 0], [0, 1, 1]]
    np.testing.assert_allclose(tiny_extractor._predictor.score_pairs(features), expected, rtol=1e-5, atol=1e-6)


def test_pair_counts_see_projects_and_same_label_spans_around_a_pair():
    spans = [(0, 4, "PROJECT"), (5, 7, "LOC"), (8, 12, "PROJECT"), (13, 15, "LOC"), (16, 18, "DATE"), (19, 21, "LOC")]
    pairs = [(0, 1), (0, 3), (2, 1), (0, 5), (0, 4)]
    assert pair_counts(spans, pairs).tolist() == [
        [0, 0, 0],  # adjacent: nothing between, no project nearer
        [1, 1, 1],  # the second project and the first place lie between; that project is nearer
        [0, 0, 0],  # the second project reaches back to the first place over nothing
        [1, 2, 1],
        [1, 0, 1],  # only spans with the tail's label count as same-label
    ]
    assert pair_counts(spans, []).shape == (0, 3)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 60), st.integers(1, 6), st.sampled_from(["PROJECT", "LOC", "DATE"])),
                min_size=2, max_size=12))
def test_pair_counts_match_their_definition(drawn):
    from zhinvest.relations import gap

    spans = [(start, start + length, label) for start, length, label in drawn]
    pairs = [(h, t) for h in range(len(spans)) for t in range(len(spans)) if h != t]
    expected = []
    for h, t in pairs:
        (hs, he, _), (ts, te, tail_label) = spans[h], spans[t]
        low, high = min(he, te), max(hs, ts)
        others = [s for k, s in enumerate(spans) if k not in (h, t)]
        inside = [s for s in others if low <= s[0] and s[1] <= high]
        expected.append([sum(s[2] == "PROJECT" for s in inside), sum(s[2] == tail_label for s in inside),
                         sum(s[2] == "PROJECT" and gap(s[:2], (ts, te)) < gap((hs, he), (ts, te)) for s in others)])
    assert pair_counts(spans, pairs).tolist() == expected


def test_models_without_pair_counts_still_extract(tmp_path):
    """Model folders whose relation head reads no pair counts load, extract and score pairs as before."""
    from conftest import build_tiny_model
    from zhinvest.inference import PairFeatures

    model, vocab = build_tiny_model(settings=ModelSettings(max_length=128, overlap=16, max_pair_distance=40))
    assert not hasattr(model, "count_embeddings")
    extractor = Extractor.from_pretrained(model.save_pretrained(tmp_path / "plain", vocab), device="cpu")
    check_offsets(ARTICLE, extractor(ARTICLE))
    hidden, pairs, ids = torch.randn(1, 6, 32), torch.tensor([[0, 1, 2, 3, 5]]), torch.zeros(1, 6).long()
    with torch.inference_mode():
        expected = torch.sigmoid(extractor.model.relation_logits(hidden, pairs, ids))[0, 2].item()
        vectors = [extractor.model.span_vectors(hidden, pairs[:, 0], pairs[:, a], pairs[:, b]).numpy()
                   for a, b in ((1, 2), (3, 4))]
    features = PairFeatures(*vectors, relation=np.array([2]), distance=np.array([2]), crossings=np.array([0]),
                            counts=np.array([[1, 1, 1]]))  # ignored by a head that reads no counts
    assert extractor._predictor.score_pairs(features)[0] == pytest.approx(expected, rel=1e-5)
    with pytest.raises(ValueError, match="reads no pair counts"):
        extractor.model.relation_logits(hidden, pairs, ids, torch.zeros(1, 3).long())


def test_candidate_pairs_respect_distance_and_types():
    spans = [(0, 2, "PROJECT"), (3, 5, "MONEY"), (50, 52, "DATE"), (6, 8, "PROJECT"), (9, 10, "ORG")]
    pairs = candidate_pairs(spans, ModelSettings().schema, max_distance=10)
    assert (0, 1, 0) in pairs and (0, 4, 2) in pairs and (3, 1, 0) in pairs
    assert all(j != 2 for _, j, _ in pairs) and all(i in (0, 3) for i, _, _ in pairs)


def test_int8_quantized_cpu_variant(tiny_model_dir):
    quantized = Extractor.from_pretrained(tiny_model_dir, device="cpu", quantize=True)
    result = quantized(ARTICLE)
    check_offsets(ARTICLE, result)
    assert any(type(m).__name__ == "Linear" and "quantized" in type(m).__module__ for m in quantized.model.modules())


def test_argmax_decoding_override(tiny_model_dir):
    text = "该项目总投资20亿元的智慧物流科技港今日动工。中山市火炬开发区与抖音集团签约共建跨境电商产业园。"
    viterbi = Extractor.from_pretrained(tiny_model_dir, device="cpu")
    argmax = Extractor.from_pretrained(tiny_model_dir, device="cpu", decoding="argmax")
    assert (viterbi.settings.decoding, argmax.settings.decoding) == ("viterbi", "argmax")
    for result in (viterbi(text), argmax(text)):
        assert all(text[e.start:e.end] == e.text for e in result.entities)
    with pytest.raises(ValueError, match="decoding must be"):
        Extractor.from_pretrained(tiny_model_dir, device="cpu", decoding="greedy")


def test_int8_is_the_cpu_default_and_float32_one_flag_away(tiny_model_dir):
    def quantized(extractor) -> bool:
        return any("quantized" in type(m).__module__ for m in extractor.model.modules())

    assert quantized(Extractor.from_pretrained(tiny_model_dir, device="cpu"))
    assert not quantized(Extractor.from_pretrained(tiny_model_dir, device="cpu", quantize=False))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here")
def test_cuda_path_runs_bf16_with_pinned_batches(tiny_model_dir):
    extractor = Extractor.from_pretrained(tiny_model_dir, device="cuda")
    assert extractor.device.type == "cuda"
    assert not any("quantized" in type(m).__module__ for m in extractor.model.modules())
    results = list(extractor.pipe([ARTICLE, "中山" * 400], batch_size=2))
    for text, result in zip([ARTICLE, "中山" * 400], results):
        check_offsets(text, result)
    on_cpu = Extractor.from_pretrained(tiny_model_dir, device="cpu", quantize=False)(ARTICLE)
    assert len(results[0].entities) > 0 and len(on_cpu.entities) > 0
