"""How long a clip will be, in ms, without synthesizing it.

``list``, ``show`` and the server's previews need a routine's length before its speech is
in the cache (minutes of piper on a cold cache). :func:`estimate_ms` gives the length of
the clip an engine would make of a text from the text alone: a few counts of what is
heard (:class:`Features`: syllables, words, letters, the pauses at commas and between
sentences, numbers read as words) weighted by a linear model per engine, voice and rate,
fitted by least squares on clips measured with the real engines
(``benchmarks/calibrate_estimate.py`` writes the weights to
:mod:`voiceguide.speech.estimate_table`). Between two calibrated rates the weights are
interpolated in minutes per word (the time a clip takes is close to linear in it);
outside them they are scaled from the nearest rate.

Why the text and not phonemes: espeak-ng can give phonemes (``espeak-ng -q -x``, or
``espeak_TextToPhonemes`` in-process), but a subprocess costs ≈ 10 ms a call, and
libespeak-ng in this process is not thread-safe (the server) and shares its state with
the pyttsx3 engine; the text model needs neither and is pure Python (a routine's texts in
about a millisecond). Its error on a whole routine is what ``benchmarks/bench_estimate.py``
reports (see docs/DESIGN.md).

An estimate only ever informs a person (``show``, ``list``, the page's length preview),
marked as such: nothing is placed in ``play`` or ``export`` on an estimate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .engine import VoiceSpec
from .estimate_table import CALIBRATION

#: The weights of one calibrated rate: ms per :data:`FEATURES` count, then a constant ms.
Weights = tuple[float, ...]

FEATURES = ("syllables", "words", "letters", "clause_pauses", "sentence_pauses")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|\d+")
_VOWELS = re.compile(r"[aeiouy]+")
_CLAUSE = re.compile(r"[,;:—–]|\s-\s|\.\.\.|…")
_SENTENCE = re.compile(r"[.!?]+(?=\s+\S)")
_ONES = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
)
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


@dataclass(frozen=True)
class Features:
    """What is heard in a text, counted: ``syllables`` (vowel groups, numbers as words),
    ``words``, ``letters``, ``clause_pauses`` (commas, semicolons, colons, dashes,
    ellipses) and ``sentence_pauses`` (sentence ends followed by more text)."""

    syllables: int
    words: int
    letters: int
    clause_pauses: int
    sentence_pauses: int

    def counts(self) -> tuple[int, ...]:
        """The counts in :data:`FEATURES` order."""
        return (self.syllables, self.words, self.letters, self.clause_pauses, self.sentence_pauses)


def number_words(n: int) -> str:
    """``n`` as English words, as the engines read it (``47`` → ``forty seven``); beyond
    999,999 digit by digit (long numbers are rare in routines)."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return _ONES[n // 100] + " hundred" + ("" if rest == 0 else " and " + number_words(rest))
    if n < 1_000_000:
        rest = n % 1000
        return number_words(n // 1000) + " thousand" + ("" if rest == 0 else " " + number_words(rest))
    return " ".join(_ONES[int(d)] for d in str(n))


def _syllables(word: str) -> int:
    """Vowel groups of a lower-case word, less a silent final ``e``; at least 1."""
    groups = len(_VOWELS.findall(word))
    if word.endswith("e") and not word.endswith(("le", "ee", "ye")) and groups > 1:
        groups -= 1
    return max(1, groups)


def features(text: str) -> Features:
    """The :class:`Features` of ``text`` (as the engine gets it: respelled, no pause marks)."""
    words: list[str] = []
    for token in _WORD.findall(text.lower()):
        if token.isdigit():
            words.extend(number_words(int(token[:7])).split())
        else:
            words.append(token)
    return Features(
        syllables=sum(_syllables(w) for w in words),
        words=len(words),
        letters=sum(len(w) for w in words),
        clause_pauses=len(_CLAUSE.findall(text)),
        sentence_pauses=len(_SENTENCE.findall(text)),
    )


def _weights_at(table: tuple[tuple[int, Weights], ...], rate_wpm: int) -> Weights:
    """The weights for ``rate_wpm`` from ``table`` (calibrated rates, ascending):
    interpolated in minutes per word between two rates, scaled beyond the ends (a clip's
    time is close to proportional to minutes per word)."""
    rate = max(1, rate_wpm)
    if rate <= table[0][0]:
        scale = table[0][0] / rate
        return tuple(w * scale for w in table[0][1])
    if rate >= table[-1][0]:
        scale = table[-1][0] / rate
        return tuple(w * scale for w in table[-1][1])
    i = next(i for i in range(1, len(table)) if table[i][0] >= rate)
    (r0, w0), (r1, w1) = table[i - 1], table[i]
    t = (1 / rate - 1 / r0) / (1 / r1 - 1 / r0)
    return tuple(a + (b - a) * t for a, b in zip(w0, w1, strict=True))


def estimate_ms(text: str, engine_id: str, voice: VoiceSpec) -> int:
    """The length (ms) of the clip ``engine_id`` would make of ``text`` with ``voice``'s
    voice and rate, estimated from the text (never below 0). An engine or voice that was
    not calibrated gets its engine's default voice, else espeak-ng's (an estimate either
    way; the error is larger). The test engine's lengths are a formula, so its estimate
    is exact: tests tell estimates from measurements by their mark, and by clips planted
    in the cache with other lengths."""
    if engine_id == "fake":
        from .fake import fake_speech_ms

        return fake_speech_ms(text, voice.rate_wpm)
    table = (
        CALIBRATION.get((engine_id, voice.name))
        or CALIBRATION.get((engine_id, None))
        or CALIBRATION[("espeak-ng", None)]
    )
    weights = _weights_at(table, voice.rate_wpm)
    counts = features(text).counts()
    total = weights[-1] + sum(w * c for w, c in zip(weights, counts, strict=False))
    return max(0, round(total))
