"""Correcting an OCR reading towards the plate syntaxes it could be.

The recogniser gives, for each character it saw, a distribution over A–Z and
0–9. A template of a country's format says which characters each position may
hold. The corrected reading picks, position by position, the most probable
allowed character — so ``8`` becomes ``B`` only where a letter must stand and
the recogniser itself gave ``B`` some weight, or ``B`` and ``8`` are a known
confusion. Characters are never invented: a template longer than the reading
never matches. Characters the recogniser was unsure of may be dropped (a bolt,
a logo between groups, the country band), at the price of that uncertainty.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from platekeeper.recognition.ppocr import CharPosterior
from platekeeper.recognition.syntax import CountrySyntax, Template, templates_of
from platekeeper.recognition.text import ALPHABET, CONFUSION_CLASSES

FloatArray = npt.NDArray[np.float64]

CONFUSION_PRIOR = 0.1
"""Weight of a confusion-class substitute the recogniser gave (almost) no mass to."""
MIN_SUPPORT = 1e-3
"""Below this, a character is not among the recogniser's alternatives."""
MAX_DROPS = 2
RAW_WEIGHT = 1e-4
"""Ranking weight of the unformatted reading against any format that fits."""
BAND_COST = 0.9
_NEG = -1e9

_INDEX = {ch: i for i, ch in enumerate(ALPHABET)}


@dataclass(frozen=True, slots=True)
class Correction:
    text: str
    confidence: float
    """Mean certainty per character (geometric mean of the recogniser's
    support for each chosen character, drop penalties included), 0–1."""
    rank_score: float
    """Probability-like score of the whole string, format weight included;
    only for ranking readings of one plate."""
    format_id: str | None
    country: str | None
    display: str


@cache
def _confusion_matrix(equivalent: tuple[str, ...]) -> FloatArray:
    """m[a, b]: weight of reading ``b`` where the recogniser saw ``a``."""
    size = len(ALPHABET)
    matrix = np.zeros((size, size))
    for group in CONFUSION_CLASSES:
        for a, b in itertools.permutations(group, 2):
            matrix[_INDEX[a], _INDEX[b]] = CONFUSION_PRIOR
    for group in equivalent:
        for a, b in itertools.permutations(group, 2):
            matrix[_INDEX[a], _INDEX[b]] = 0.9
    np.fill_diagonal(matrix, 1.0)
    return matrix


def _log_support(chars: Sequence[CharPosterior], equivalent: tuple[str, ...]) -> FloatArray:
    """log q[i, a]: how well character ``a`` explains position ``i``."""
    probs = np.stack([c.probs.astype(np.float64) for c in chars])
    confusion = _confusion_matrix(equivalent)
    # A substitute is backed by the most probable character it may stand in for.
    support = np.max(probs[:, :, None] * confusion[None, :, :], axis=1)
    conf = np.array([c.confidence for c in chars])[:, None]
    support = support * conf
    with np.errstate(divide="ignore"):
        logq = np.log(support)
    logq[support < MIN_SUPPORT] = _NEG
    return np.asarray(logq, dtype=np.float64)


@cache
def _mask(allowed: frozenset[str]) -> npt.NDArray[np.bool_]:
    mask = np.zeros(len(ALPHABET), dtype=bool)
    for ch in allowed:
        mask[_INDEX[ch]] = True
    return mask


def _drop_cost(chars: Sequence[CharPosterior]) -> FloatArray:
    certainty = np.array([c.confidence * float(c.probs.max()) for c in chars])
    return np.log(np.clip(1.0 - certainty, 0.02, 1.0))


def _best_fill(
    logq: FloatArray, template: Template, keep: Sequence[int], top: int
) -> list[tuple[float, str]]:
    """The ``top`` best strings for ``template`` from positions ``keep`` of the reading."""
    rows = logq[list(keep)]
    per_position: list[list[tuple[float, str]]] = []
    for j, allowed in enumerate(template.allowed):
        scores = np.where(_mask(allowed), rows[j], _NEG)
        order = np.argsort(scores)[::-1][:3]
        choices = [(float(scores[k]), ALPHABET[k]) for k in order if scores[k] > _NEG / 2]
        if not choices:
            return []
        per_position.append(choices)
    for span in template.spans:
        options = []
        for option in span.options:
            total = sum(float(rows[span.start + i, _INDEX[ch]]) for i, ch in enumerate(option))
            if total > _NEG / 2:
                options.append((total, option))
        if not options:
            return []
        options.sort(reverse=True)
        # Fold the span into its first position; the others become fixed.
        per_position[span.start] = options[:3]
        for i in range(1, len(span.options[0])):
            per_position[span.start + i] = [(0.0, "")]
    return _k_best(per_position, top)


def _k_best(per_position: list[list[tuple[float, str]]], top: int) -> list[tuple[float, str]]:
    beam: list[tuple[float, str]] = [(0.0, "")]
    for choices in per_position:
        beam = sorted(
            ((score + s, text + ch) for score, text in beam for s, ch in choices),
            reverse=True,
        )[: max(top, 1)]
    return beam


def _band_variants(
    chars: Sequence[CharPosterior], bands: Sequence[str]
) -> list[tuple[float, Sequence[CharPosterior]]]:
    text = "".join(c.best for c in chars)
    variants: list[tuple[float, Sequence[CharPosterior]]] = [(0.0, chars)]
    for band in bands:
        if len(band) >= 2 and len(text) > len(band) + 3:
            if text.startswith(band):
                variants.append((math.log(BAND_COST), chars[len(band) :]))
            if text.endswith(band):
                variants.append((math.log(BAND_COST), chars[: -len(band)]))
    return variants


def correct(
    chars: Sequence[CharPosterior],
    syntaxes: Sequence[CountrySyntax],
    top_n: int = 5,
) -> list[Correction]:
    """Candidate readings, best first; the unformatted reading is always among them."""
    if not chars:
        return []
    found: dict[str, Correction] = {}

    def offer(candidate: Correction) -> None:
        known = found.get(candidate.text)
        if known is None or candidate.rank_score > known.rank_score:
            found[candidate.text] = candidate

    raw_log = float(sum(math.log(max(c.confidence * float(c.probs.max()), 1e-9)) for c in chars))
    raw_text = "".join(c.best for c in chars)
    offer(
        Correction(
            text=raw_text,
            confidence=math.exp(raw_log / len(chars)),
            rank_score=math.exp(raw_log) * RAW_WEIGHT,
            format_id=None,
            country=None,
            display=raw_text,
        )
    )
    bands = sorted({b for s in syntaxes for b in s.band}, key=len, reverse=True)
    for syntax in syntaxes:
        templates = templates_of([syntax])
        for band_cost, seq in _band_variants(chars, bands):
            m = len(seq)
            if m == 0:
                continue
            logq = _log_support(seq, syntax.equivalent)
            drop = _drop_cost(seq)
            for template in templates:
                n = len(template)
                if not m - MAX_DROPS <= n <= m:
                    continue
                for dropped in itertools.combinations(range(m), m - n):
                    keep = [i for i in range(m) if i not in dropped]
                    penalty = band_cost + float(sum(drop[i] for i in dropped))
                    for score, text in _best_fill(logq, template, keep, top_n):
                        if sum(ch.isdigit() for ch in text) < template.min_digits:
                            continue
                        total = score + penalty
                        offer(
                            Correction(
                                text=text,
                                confidence=math.exp(total / max(1, len(text))),
                                rank_score=math.exp(total) * template.weight,
                                format_id=template.format_id,
                                country=template.country,
                                display=template.display(text),
                            )
                        )
    ranked = sorted(found.values(), key=lambda c: c.rank_score, reverse=True)
    return ranked[:top_n]
