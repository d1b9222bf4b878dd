"""The formats ``voiceguide export`` writes, in one place: the encoder, the output
writers and the command line's choices all read them from here.

Data only (no I/O, nothing heavy imported), so ``voiceguide --help`` can list them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args


@dataclass(frozen=True)
class Codec:
    """How ffmpeg writes one output format."""

    muxer: str
    args: tuple[str, ...]
    frame_samples: int  # samples per codec frame (at the encoder's rate): the length tolerance
    min_rate: int | None = None  # written at least at this rate (Hz), unless --sample-rate says
    #: dB the encoder takes from the integrated loudness (measured on the encoded file),
    #: given back before it (ffmpeg's volume filter) so the file measures the target
    gain_db: float = 0.0


#: the compressed formats, each as ffmpeg writes it (WAV is written directly)
CODECS: Mapping[str, Codec] = {
    # constant 64 kb/s: a floor for speech at any rate (VBR gave ≈30 kb/s at 22.05 kHz),
    # and seeking by chapter is exact in players that estimate positions from the bitrate
    # (each gain_db: what the codec took from the loudness of the same session's WAV,
    # measured by ffmpeg's ebur128 on espeak-ng exports, plain and over a bed: mp3 −0.4,
    # opus −0.3, vorbis −0.1 LU, aac and flac 0)
    "mp3": Codec("mp3", ("-c:a", "libmp3lame", "-b:a", "64k"), 1152, gain_db=0.4),
    # at 44.1 kHz: vorbis's 22 kHz modes raise true peaks by ≈2 dB (over a bed: to +0.6
    # dBTP); at 44.1 kHz it keeps them within 0.3 dB
    "ogg": Codec("ogg", ("-c:a", "libvorbis", "-q:a", "4"), 2048, min_rate=44100, gain_db=0.1),
    "flac": Codec("flac", ("-c:a", "flac", "-fflags", "+bitexact", "-flags:a", "+bitexact"), 4608),
    "m4a": Codec("ipod", ("-c:a", "aac", "-b:a", "96k", "-movflags", "+faststart"), 1024),
    # the audiobook brand (major_brand "M4B "), which audiobook players look for
    "m4b": Codec("ipod", ("-c:a", "aac", "-b:a", "96k", "-movflags", "+faststart", "-brand", "M4B "), 1024),
    "opus": Codec("opus", ("-c:a", "libopus", "-b:a", "32k"), 960, gain_db=0.3),
}
#: WAV through ffmpeg: only when it must be resampled (``--sample-rate``)
WAV_BY_FFMPEG = Codec("wav", ("-c:a", "pcm_s16le", "-fflags", "+bitexact"), 1)
#: ``--sample-rate`` choices (Hz); the engine's own rate is the default. Opus is always
#: 48 kHz (its decoders' rate), whatever is asked.
SAMPLE_RATES: tuple[int, ...] = (16000, 22050, 24000, 32000, 44100, 48000)
#: every audio format, as ``--format`` and file extensions name them
FORMATS: tuple[str, ...] = ("wav", *CODECS)
#: formats whose files carry the chapters (the others need --chapters-file)
CHAPTER_FORMATS: tuple[str, ...] = ("mp3", "m4a", "m4b")
#: formats that can be written to a pipe (the MP4 family needs a seekable file)
STREAM_FORMATS: tuple[str, ...] = ("wav", "mp3", "ogg", "flac", "opus")

#: ``--subtitles``: WebVTT or SRT
SubtitleFormat = Literal["vtt", "srt"]
SUBTITLE_FORMATS: tuple[SubtitleFormat, ...] = get_args(SubtitleFormat)
#: ``--chapters-file``: Podcasting 2.0 JSON chapters or a CUE sheet
ChapterFileFormat = Literal["json", "cue"]
CHAPTER_FILE_FORMATS: tuple[ChapterFileFormat, ...] = get_args(ChapterFileFormat)
