"""Correcting an OCR reading towards the plate syntaxes it could be.

The recogniser gives, for each character it saw, a distribution over A–Z and
0–9. A template of a country's format says which characters each position may
hold. The corrected reading picks, position by position, the most probable
allowed character — so ``8`` becomes ``B`` only where a letter must stand and
the recogniser itself gave ``B`` some weight, or ``B`` and ``8`` are a known
confusion. Characters are never invented: a template longer than the reading
never matches. Characters the recogniser was unsure of may be dropped (a bolt,
a logo between groups, the country band), at the price of that uncertainty.

Every template is scored against every way of dropping up to two characters
in one vectorised step; only the best alignments are expanded into
candidate strings.
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
IntArray = npt.NDArray[np.int64]

CONFUSION_PRIOR = 0.1
"""Weight of a confusion-class substitute the recogniser gave (almost) no mass to."""
MIN_SUPPORT = 1e-3
"""Below this, a character is not among the recogniser's alternatives."""
MAX_DROPS = 2
RAW_WEIGHT = 1e-4
"""Ranking weight of the unformatted reading against any format that fits."""
BAND_COST = 0.9
ALIGNMENTS_EXPANDED = 2
"""Best drop-alignments per template considered."""
MAX_EXPANDED = 8
"""At most this many (template, alignment) pairs are spelled out as candidates."""
EXPANSION_RANGE = math.log(1e4)
"""Pairs scoring this far below the best cannot reach the candidate list."""
_NEG = -1e9

_INDEX = {ch: i for i, ch in enumerate(ALPHABET)}
_DIGIT_INDEX = np.array([i for i, ch in enumerate(ALPHABET) if ch.isdigit()])


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


@dataclass(frozen=True, slots=True)
class _Compiled:
    """A template as arrays: an allowed-set index per position, and spans."""

    template: Template
    sets: IntArray
    """Index into ``_SETS`` per position (span positions: their union set)."""
    spans: tuple[tuple[int, IntArray, tuple[str, ...]], ...]
    """(start, option characters as alphabet indices (options x length), options)."""


_SETS: list[frozenset[str]] = []
_SET_INDEX: dict[frozenset[str], int] = {}


def _set_id(allowed: frozenset[str]) -> int:
    if allowed not in _SET_INDEX:
        _SET_INDEX[allowed] = len(_SETS)
        _SETS.append(allowed)
    return _SET_INDEX[allowed]


@cache
def _compile(template: Template) -> _Compiled:
    spans = tuple(
        (
            span.start,
            np.array([[_INDEX[c] for c in option] for option in span.options], dtype=np.int64),
            span.options,
        )
        for span in template.spans
    )
    sets = np.array([_set_id(a) for a in template.allowed], dtype=np.int64)
    return _Compiled(template, sets, spans)


@cache
def _set_masks(count: int) -> npt.NDArray[np.bool_]:
    masks = np.zeros((count, len(ALPHABET)), dtype=bool)
    for i, allowed in enumerate(_SETS[:count]):
        for ch in allowed:
            masks[i, _INDEX[ch]] = True
    return masks


@cache
def _alignments(m: int, n: int) -> tuple[IntArray, IntArray]:
    """Every way to keep ``n`` of ``m`` positions in order: kept (combos x n)
    and dropped (combos x (m - n)) positions."""
    keeps, drops = [], []
    for dropped in itertools.combinations(range(m), m - n):
        keeps.append([i for i in range(m) if i not in dropped])
        drops.append(list(dropped))
    count = len(keeps)
    return (
        np.array(keeps, dtype=np.int64).reshape(count, n),
        np.array(drops, dtype=np.int64).reshape(count, m - n),
    )


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


def _log_support(probs: FloatArray, conf: FloatArray, equivalent: tuple[str, ...]) -> FloatArray:
    """log q[i, a]: how well character ``a`` explains position ``i``."""
    confusion = _confusion_matrix(equivalent)
    # A character is backed by the recogniser's own mass for it plus, at the
    # confusion prior, the mass of the characters it is commonly misread as:
    # an O the recogniser gave 4% beside a 95% 0 beats a Q it gave nothing.
    support = np.minimum(1.0, probs @ confusion) * conf[:, None]
    with np.errstate(divide="ignore"):
        logq = np.log(support)
    logq[support < MIN_SUPPORT] = _NEG
    return np.asarray(logq, dtype=np.float64)


class _Reading:
    """One sequence of OCR characters, with what every template needs from it."""

    def __init__(self, chars: Sequence[CharPosterior], equivalent: tuple[str, ...]) -> None:
        probs = np.stack([c.probs.astype(np.float64) for c in chars])
        conf = np.array([c.confidence for c in chars], dtype=np.float64)
        self.m = len(chars)
        self.logq = _log_support(probs, conf, equivalent)
        # Positions the recogniser itself read as digits: a format's minimum
        # of digits is met by these, not by letters that the correction turned
        # into digits (a state name's O taken for a zero, a model name's I
        # for a one).
        self.digit = np.isin(np.argmax(probs, axis=1), _DIGIT_INDEX)
        # Dropping a character costs the chance that something was written
        # there at all, not the certainty of which character it is: a bolt or
        # a logo emits little plate-character mass, while an F that might be
        # an E is still surely a character and must not vanish cheaply.
        self.drop = np.log(np.clip(1.0 - conf, 0.02, 1.0))
        self._best: FloatArray | None = None

    def best_per_set(self) -> FloatArray:
        """(sets x m): the best log support any character of each set has."""
        if self._best is None or self._best.shape[0] < len(_SETS):
            masks = _set_masks(len(_SETS))
            self._best = np.where(masks[:, None, :], self.logq[None, :, :], _NEG).max(axis=2)
        return self._best


def _score(reading: _Reading, compiled: _Compiled) -> tuple[FloatArray, FloatArray, IntArray]:
    """For every drop-alignment of ``reading`` against the template: the score
    of the best string (drops included), the drop penalty, and the kept positions."""
    n = len(compiled.sets)
    keeps, drops = _alignments(reading.m, n)
    best = reading.best_per_set()
    per_position = best[compiled.sets[None, :], keeps]  # (combos, n)
    total = per_position.sum(axis=1)
    for start, options, _ in compiled.spans:
        length = options.shape[1]
        rows = keeps[:, start : start + length]  # (combos, length)
        option_scores = reading.logq[rows[:, None, :], options[None, :, :]].sum(axis=2)
        total += option_scores.max(axis=1) - per_position[:, start : start + length].sum(axis=1)
    penalty = reading.drop[drops].sum(axis=1)
    return total + penalty, penalty, keeps


@dataclass(frozen=True, slots=True)
class _Group:
    """Span-free templates of one length, scored together."""

    templates: tuple[_Compiled, ...]
    sets: IntArray
    """(templates x length) allowed-set ids."""
    log_weights: FloatArray


_PLANS: dict[int, tuple[CountrySyntax, tuple[tuple[_Group, ...], tuple[_Compiled, ...]]]] = {}


def _plan(syntax: CountrySyntax) -> tuple[tuple[_Group, ...], tuple[_Compiled, ...]]:
    # Keyed by identity: hashing the nested syntax on every call costs more
    # than the scoring it serves. The syntax is kept to pin its id.
    known = _PLANS.get(id(syntax))
    if known is not None and known[0] is syntax:
        return known[1]
    plan = _make_plan(syntax)
    _PLANS[id(syntax)] = (syntax, plan)
    return plan


def _make_plan(syntax: CountrySyntax) -> tuple[tuple[_Group, ...], tuple[_Compiled, ...]]:
    """A syntax's templates: span-free ones grouped by length, the others alone."""
    by_length: dict[int, list[_Compiled]] = {}
    single: list[_Compiled] = []
    for template in templates_of([syntax]):
        compiled = _compile(template)
        if compiled.spans:
            single.append(compiled)
        else:
            by_length.setdefault(len(template), []).append(compiled)
    groups = tuple(
        _Group(
            tuple(items),
            np.stack([c.sets for c in items]),
            np.log(np.array([c.template.weight for c in items])),
        )
        for items in by_length.values()
    )
    return groups, tuple(single)


def _score_group(reading: _Reading, group: _Group) -> tuple[FloatArray, FloatArray, IntArray]:
    """``_score`` for many span-free templates at once: (templates x combos) arrays."""
    keeps, drops = _alignments(reading.m, group.sets.shape[1])
    best = reading.best_per_set()
    totals = best[group.sets[:, None, :], keeps[None, :, :]].sum(axis=2)
    penalty = reading.drop[drops].sum(axis=1)
    return totals + penalty[None, :], penalty, keeps


def _expand(
    reading: _Reading, compiled: _Compiled, keep: IntArray, top: int
) -> list[tuple[float, str]]:
    """The ``top`` best strings for one alignment of one template."""
    rows = reading.logq[keep]
    scores = np.where(_set_masks(len(_SETS))[compiled.sets], rows, _NEG)  # (n, 36)
    order = np.argsort(-scores, axis=1)[:, :3]
    leading = np.take_along_axis(scores, order, axis=1)
    choices: list[list[tuple[float, str]]] = [
        [(float(v), ALPHABET[k]) for v, k in zip(vals, idx, strict=True) if v > _NEG / 2]
        for vals, idx in zip(leading, order, strict=True)
    ]
    for start, options, names in compiled.spans:
        length = options.shape[1]
        totals = rows[np.arange(start, start + length)[None, :], options].sum(axis=1)
        order = np.argsort(totals)[::-1][:3]
        choices[start] = [(float(totals[k]), names[k]) for k in order if totals[k] > _NEG / 2]
        for i in range(1, length):
            choices[start + i] = [(0.0, "")]
    if any(not c for c in choices):
        return []
    beam: list[tuple[float, str]] = [(0.0, "")]
    for options_at in choices:
        beam = sorted(
            ((score + s, text + ch) for score, text in beam for s, ch in options_at),
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


_Entry = tuple[float, float, "_Reading", _Compiled, IntArray]
"""(ranking score, drop penalty, reading, template, kept positions)."""


def _score_all(chars: Sequence[CharPosterior], syntaxes: Sequence[CountrySyntax]) -> list[_Entry]:
    scored: list[_Entry] = []
    bands = sorted({b for s in syntaxes for b in s.band}, key=len, reverse=True)
    for band_cost, seq in _band_variants(chars, bands):
        m = len(seq)
        readings: dict[tuple[str, ...], _Reading] = {}
        for syntax in syntaxes:
            reading = readings.get(syntax.equivalent)
            if reading is None:
                reading = readings[syntax.equivalent] = _Reading(seq, syntax.equivalent)
            groups, single = _plan(syntax)
            for group in groups:
                if m - MAX_DROPS <= group.sets.shape[1] <= m:
                    scored.extend(_best_of_group(reading, group, band_cost))
            for compiled in single:
                if m - MAX_DROPS <= len(compiled.template) <= m:
                    scored.extend(_best_of_template(reading, compiled, band_cost))
    return scored


def _best_of_group(reading: _Reading, group: _Group, band_cost: float) -> list[_Entry]:
    totals, penalties, keeps = _score_group(reading, group)
    ranked = totals + group.log_weights[:, None] + band_cost
    entries: list[_Entry] = []
    for t, combo in enumerate(ranked.argmax(axis=1)):
        if totals[t, combo] > _NEG / 2:
            penalty = band_cost + float(penalties[combo])
            entries.append(
                (float(ranked[t, combo]), penalty, reading, group.templates[t], keeps[combo])
            )
    return entries


def _best_of_template(reading: _Reading, compiled: _Compiled, band_cost: float) -> list[_Entry]:
    totals, penalties, keeps = _score(reading, compiled)
    log_weight = math.log(compiled.template.weight)
    entries: list[_Entry] = []
    for index in np.argsort(-totals)[:ALIGNMENTS_EXPANDED]:
        if totals[index] < _NEG / 2:
            break
        ranked_at = float(totals[index]) + band_cost + log_weight
        penalty = band_cost + float(penalties[index])
        entries.append((ranked_at, penalty, reading, compiled, keeps[index]))
    return entries


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
    # First score every template cheaply (the best string of each alignment),
    # then spell out candidates only for the templates that can matter.
    scored = _score_all(chars, syntaxes)
    scored.sort(key=lambda entry: entry[0], reverse=True)
    floor = scored[0][0] - EXPANSION_RANGE if scored else 0.0
    for ranked_at, penalty, reading, compiled, keep in scored[:MAX_EXPANDED]:
        if ranked_at < floor:
            break
        template = compiled.template
        seen_digits = int(reading.digit[keep].sum())
        for score, text in _expand(reading, compiled, keep, top_n):
            if min(seen_digits, sum(ch.isdigit() for ch in text)) < template.min_digits:
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
