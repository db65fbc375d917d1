"""The tensor side: batches of windows through the network, tags decoded, pairs scored.

Windows arrive as character-id arrays; nothing here knows about documents,
offsets into raw text or result objects.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field

import numpy as np
import torch

from .features import padded_batch
from .decoding import TaggedSpan, blocked_boundaries, boundary_tables, decode_bio, viterbi_bio
from .modeling import ZhinvestModel
from .relations import candidate_pairs, pair_counts
from .vocab import CharVocab


@dataclass(frozen=True)
class WindowInput:
    ids: np.ndarray
    features: np.ndarray | None = None  # [len(ids), CHANNELS] for a model trained with word features


@dataclass
class WindowOutput:
    spans: list[TaggedSpan] = field(default_factory=list)
    #: (head span index, tail span index, relation index, probability) over ``spans``
    relations: list[tuple[int, int, int, float]] = field(default_factory=list)
    #: ``[len(spans), 2H]`` float32: each span's vector for pairs scored across windows
    span_vectors: np.ndarray | None = None


@dataclass(frozen=True)
class PairFeatures:
    """Pairs whose spans were read in different windows: span vectors, distance, sentence ends between."""

    head: np.ndarray  # [P, 2H]
    tail: np.ndarray  # [P, 2H]
    relation: np.ndarray  # [P] relation index
    distance: np.ndarray  # [P] tail start − head start, characters
    crossings: np.ndarray  # [P] sentence ends between the two starts
    counts: np.ndarray  # [P, 3] spans around each pair (``zhinvest.relations.pair_counts``)


class Predictor:
    """Runs a ``ZhinvestModel`` over windows on one device."""

    def __init__(self, model: ZhinvestModel, vocab: CharVocab, device: torch.device):
        self.model = model
        self.vocab = vocab
        self.device = device
        self.settings = model.settings
        self._labels = model.settings.schema.entity_labels
        self._autocast = (torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else nullcontext())
        self._transitions = model.transitions.detach().float().cpu().numpy().astype(np.float64)
        self._separated = model.settings.schema.separated_ids
        self._start = model.start_transitions.detach().float().cpu().numpy().astype(np.float64)
        self._boundaries = boundary_tables(vocab.tokens) if self.settings.boundary_rules else None
        self._batch_invariant = self.batch_invariant

    @property
    def batch_invariant(self) -> bool:
        """False for int8 dynamic quantization: it scales activations by the whole input tensor, so a
        window's result would depend on the windows batched with it. Such models run one window
        (and one document's pairs) at a time, which keeps every result independent of the batch."""
        return not any("quantized" in type(m).__module__ for m in self.model.modules())

    def run(self, windows: list[WindowInput], batch_size: int) -> list[WindowOutput]:
        """Outputs in input order; windows are batched longest first with dynamic padding."""
        if not self._batch_invariant:
            batch_size = 1
        order = sorted(range(len(windows)), key=lambda i: -len(windows[i].ids))
        outputs: list[WindowOutput | None] = [None] * len(windows)
        for begin in range(0, len(order), batch_size):
            chosen = order[begin:begin + batch_size]
            for index, output in zip(chosen, self._run_batch([windows[i] for i in chosen])):
                outputs[index] = output
        return outputs  # type: ignore[return-value]

    @torch.inference_mode()
    def score_pairs(self, features: PairFeatures) -> np.ndarray:
        """Probability of each pair's relation, from span vectors taken in different windows."""
        if len(features.relation) == 0:
            return np.zeros(0, dtype=np.float32)
        dtype = self.model.distance_embedding.weight.dtype
        tensors = [torch.from_numpy(a).to(self.device) for a in (features.head, features.tail)]
        head, tail = (t.to(dtype) for t in tensors)
        distance, crossings, relation = (torch.from_numpy(a).long().to(self.device)
                                         for a in (features.distance, features.crossings, features.relation))
        counts = torch.from_numpy(features.counts).long().to(self.device) if self.settings.pair_counts else None
        with self._autocast:
            logits = self.model.pair_logits(head, tail, distance, crossings, counts)
        return torch.sigmoid(logits.float().gather(1, relation[:, None]).squeeze(1)).cpu().numpy()

    @torch.inference_mode()
    def _run_batch(self, windows: list[WindowInput]) -> list[WindowOutput]:
        longest = max(len(w.ids) for w in windows)
        ids = np.full((len(windows), longest + 2), self.vocab.pad_id, dtype=np.int64)
        for row, window in enumerate(windows):
            ids[row, 0] = self.vocab.cls_id
            ids[row, 1:len(window.ids) + 1] = window.ids
            ids[row, len(window.ids) + 1] = self.vocab.sep_id
        features = None
        if self.settings.features:
            features = torch.from_numpy(padded_batch([w.features for w in windows], ids.shape[1])).to(self.device)
        input_ids = torch.from_numpy(ids)
        mask = input_ids != self.vocab.pad_id
        mask[:, 0] = True
        if self.device.type == "cuda":
            input_ids, mask = input_ids.pin_memory(), mask.pin_memory()
        input_ids = input_ids.to(self.device, non_blocking=True)
        mask = mask.to(self.device, non_blocking=True).long()
        with self._autocast:
            hidden, logits = self.model(input_ids, mask, features)
            log_probs = logits[:, 1:].float().log_softmax(-1)
        if self.settings.decoding == "viterbi":
            log_probs_np = log_probs.cpu().numpy()
            lengths = np.array([len(w.ids) for w in windows])
            no_start, no_end = (blocked_boundaries(ids[:, 1:], lengths, self._boundaries)
                                if self._boundaries else (None, None))
            tags_np = viterbi_bio(log_probs_np, lengths, len(self._labels), self._transitions, self._start,
                                  self._separated, no_start, no_end)
            probs_np = np.exp(np.take_along_axis(log_probs_np, tags_np[:, :, None], 2)[:, :, 0])
        else:
            best, tags = log_probs.max(-1)
            tags_np, probs_np = tags.cpu().numpy(), best.exp().cpu().numpy()

        outputs, queries, span_rows = [], [], []  # positions +1 for [CLS]
        for row, window in enumerate(windows):
            output = WindowOutput(spans=decode_bio(tags_np[row, :len(window.ids)], probs_np[row, :len(window.ids)]))
            span_rows += [(row, s.start + 1, s.end + 1) for s in output.spans]
            labelled = [(s.start, s.end, self._labels[s.label]) for s in output.spans]
            candidates = candidate_pairs(labelled, self.settings.schema, self.settings.max_pair_distance)
            for (head, tail, relation), around in zip(candidates, pair_counts(labelled, candidates).tolist()):
                h, t = output.spans[head], output.spans[tail]
                queries.append((row, h.start + 1, h.end + 1, t.start + 1, t.end + 1, relation, *around))
                output.relations.append((head, tail, relation, 0.0))
            outputs.append(output)
        if span_rows:
            rows, starts, ends = torch.tensor(span_rows, dtype=torch.long, device=self.device).unbind(1)
            vectors = self.model.span_vectors(hidden, rows, starts, ends).float().cpu().numpy()
            position = 0
            for output in outputs:
                output.span_vectors = vectors[position:position + len(output.spans)]
                position += len(output.spans)
        if queries:
            pairs = torch.tensor(queries, dtype=torch.long, device=self.device)
            counts = pairs[:, 6:] if self.settings.pair_counts else None
            with self._autocast:
                logits = self.model.relation_logits(hidden, pairs[:, :5], input_ids, counts)
            scores = torch.sigmoid(logits.float().gather(1, pairs[:, 5:6]).squeeze(1)).cpu().tolist()
            position = 0
            for output in outputs:
                chunk = scores[position:position + len(output.relations)]
                position += len(output.relations)
                output.relations = [(h, t, r, p) for (h, t, r, _), p in zip(output.relations, chunk)]
        return outputs
