"""Shared fixtures: a tiny random model folder built on the spot (no hub, no network)."""

from __future__ import annotations

import pytest
import torch

from synthetic import synthetic_characters
from zhinvest.modeling import ModelSettings, ZhinvestModel, sentence_end_ids
from zhinvest.vocab import SPECIAL_TOKENS, CharVocab

FIXTURE_CHARS = ("该项目总投资亿元的智慧物流科技港今日动工中山市火炬开发区与抖音集团签约共建跨境电商产业园"
                 "年月日超近约万美西区管委会商务局新能源汽车零部件制造基地落户0123456789abcdefghijklmnopqrstuvwxyz"
                 "。，、；：！？（）()《》“”\"'-.%")


def build_tiny_model(seed: int = 0, settings: ModelSettings | None = None) -> tuple[ZhinvestModel, CharVocab]:
    from transformers import BertConfig, BertModel

    torch.manual_seed(seed)
    tokens = ["[PAD]"] + [f"[unused{i}]" for i in range(1, 4)] + [t for t in SPECIAL_TOKENS if t != "[PAD]"]
    tokens += sorted(set(FIXTURE_CHARS + synthetic_characters()))
    config = BertConfig(vocab_size=len(tokens), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128)
    vocab = CharVocab(tokens)
    settings = settings or ModelSettings(max_length=128, overlap=16, max_pair_distance=40, pair_counts=True)
    model = ZhinvestModel(BertModel(config, add_pooling_layer=False), settings, sentence_end_ids(vocab, settings))
    with torch.no_grad():  # make the random tagger emit spans and relations often enough to exercise decoding
        model.tagger.bias.copy_(torch.linspace(-0.5, 0.5, model.tagger.bias.numel()))
        model.relation_mlp[-1].bias.fill_(0.3)
    return model.eval(), vocab


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    model, vocab = build_tiny_model()
    return model.save_pretrained(tmp_path_factory.mktemp("models") / "tiny", vocab)


@pytest.fixture(scope="session")
def tiny_extractor(tiny_model_dir):
    from zhinvest import Extractor

    return Extractor.from_pretrained(tiny_model_dir, device="cpu", quantize=False)  # exact float32


@pytest.fixture(scope="session")
def quiet_extractor(tmp_path_factory):
    """A tiny model that tags almost everything O, for size tests where span count is not the point."""
    from zhinvest import Extractor

    model, vocab = build_tiny_model(seed=2)
    with torch.no_grad():
        model.tagger.bias.zero_()
        model.tagger.bias[0] = 6.0
    folder = model.save_pretrained(tmp_path_factory.mktemp("models") / "quiet", vocab)
    return Extractor.from_pretrained(folder, device="cpu")
