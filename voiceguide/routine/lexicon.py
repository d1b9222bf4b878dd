"""How to say words the speech engines get wrong: a routine's ``pronounce:`` mapping over
:data:`DEFAULT_LEXICON`.

A respelling replaces the whole word (any case) in the text sent to the engine, and so in
the cache key; subtitles, chapters and the display keep the word as written. Respellings
are plain English spellings, which espeak-ng and piper (whose phonemizer is espeak-ng)
both read: stress cannot be marked, so a hyphen splits a word where its parts should
each be heard, and a weak "to" gives an unstressed /tə/.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from .model import Routine
from .text import normalize

#: The bundled respellings, applied under every routine's own ``pronounce:``. Chosen by
#: espeak-ng's phonemes (``espeak-ng -q --ipa WORD``, default voice), plain word → respelled:
#: effleurage ˈɛfəljˌuːɹɪdʒ → ˈɛfluːɹˈɑːʒ; petrissage pˈɛtɹɪsɪdʒ → pˈeɪtɹɪsˈɑːʒ;
#: tapotement tˈapəʊtmənt → təpˈəʊtmənt; savasana sˌavɐsˈɑːnə → ʃˈʌvˈɑːsʌnə;
#: physiotherapist fˈɪzɪˌəʊθɪɹˌeɪpɪst ("rapist") → fˈɪzɪˌəʊθˈɛɹəpˌɪst;
#: namaste nˈamast → nˈʌməstˈeɪ; ujjayi ˈʌdʒeɪi → ˈuːdʒaɪjˈiː.
DEFAULT_LEXICON: Mapping[str, str] = MappingProxyType(
    {
        "effleurage": "efloo-rahzh",
        "petrissage": "paytrih-sahzh",
        "pétrissage": "paytrih-sahzh",
        "tapotement": "to-pohtment",
        "savasana": "shuh-vahsunna",
        "shavasana": "shuh-vahsunna",
        "physiotherapist": "physio-therapist",
        "physiotherapists": "physio-therapists",
        "namaste": "numma-stay",
        "ujjayi": "oojai-yee",
    }
)


class Lexicon:
    """Word → respelling, matched as whole words in any case (keys differing only in case
    are one word: the last one given wins)."""

    def __init__(self, entries: Mapping[str, str]) -> None:
        self._entries = {word.lower(): normalize(say) for word, say in entries.items()}
        words = sorted(self._entries, key=len, reverse=True)  # the longest match first
        self._pattern = (
            re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, words)) + r")(?!\w)", re.IGNORECASE)
            if words
            else None
        )

    def respell(self, text: str) -> str:
        """``text`` with every listed word replaced by its respelling (in one pass: a
        respelling is never respelled again)."""
        if self._pattern is None:
            return text
        return self._pattern.sub(self._respelling, text)

    def _respelling(self, match: re.Match[str]) -> str:
        word = match.group(0)
        found = self._entries.get(word.lower())
        if found is not None:
            return found
        # the regex also folds "ſ" to "s" and "K" (Kelvin) to "k": ask it word by word
        return next(
            say for key, say in self._entries.items() if re.fullmatch(re.escape(key), word, re.IGNORECASE)
        )


def lexicon_for(routine: Routine) -> Lexicon:
    """The routine's ``pronounce:`` entries over :data:`DEFAULT_LEXICON`."""
    own = {word.lower(): say for word, say in routine.pronounce.items()}
    return Lexicon({**DEFAULT_LEXICON, **own})
