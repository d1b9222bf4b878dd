"""Speech engines behind one small interface (:class:`SpeechEngine`)."""

from .base import SpeechEngine, VoiceInfo, VoiceSpec

__all__ = ["SpeechEngine", "VoiceInfo", "VoiceSpec"]
