"""ClipSource keeps recent clips within a budget of samples, however long the session."""

from __future__ import annotations

from pathlib import Path

from voiceguide.pcm.clip import Clip
from voiceguide.session import ClipSource
from voiceguide.speech.cache import ClipCache
from voiceguide.speech.engine import VoiceSpec
from voiceguide.speech.fake import FakeEngine
from voiceguide.speech.synth import synthesize_all
from voiceguide.timing.timeline import Event


class CountingCache(ClipCache):
    """A cache that counts its reads."""

    reads = 0

    def get(self, key: str) -> Clip | None:
        self.reads += 1
        return super().get(key)


def speech(text: str) -> Event:
    return Event(0, 1000, "speech", text, "Step", 0)


def test_recent_clips_stay_within_their_budget_of_samples(tmp_path: Path) -> None:
    voice = VoiceSpec(None, 150)
    cache = CountingCache(tmp_path)
    texts = [f"Number {i}. Settle into the stretch and hold it gently." for i in range(40)]
    lengths = synthesize_all(texts, FakeEngine, voice, cache, workers=1)
    one_clip = FakeEngine().synthesize(texts[0], voice).n_samples
    budget = 3 * one_clip + 10  # three clips of this size, not four
    clips = ClipSource(FakeEngine, FakeEngine(), cache, voice, lengths, recent_samples=budget)
    for text in texts:
        clips(speech(text))
        assert clips._held() <= budget
    assert len(clips._recent) == 3
    cache.reads = 0
    clips(speech(texts[-1]))  # recent: not read again
    clips(speech(texts[-3]))
    assert cache.reads == 0
    clips(speech(texts[-4]))  # evicted: read again
    assert cache.reads == 1


def test_the_newest_clip_is_kept_even_over_budget(tmp_path: Path) -> None:
    voice = VoiceSpec(None, 150)
    cache = CountingCache(tmp_path)
    text = "A sentence longer than the whole budget."
    lengths = synthesize_all([text], FakeEngine, voice, cache, workers=1)
    clips = ClipSource(FakeEngine, FakeEngine(), cache, voice, lengths, recent_samples=1)
    first = clips(speech(text))
    cache.reads = 0
    assert clips(speech(text)) is first
    assert cache.reads == 0
