"""What audiobook extras cost over a plain export, measured in the same run.

1. mp3 with ID3 chapters (CHAP + CTOC, written by mutagen) against the same mp3 export
   without chapters.
2. m4a with MP4 chapters (an FFMETADATA input to ffmpeg) against the same without.
3. A bundle (mp3 + VTT + SRT + JSON chapters + CUE + M3U + routine.json) against the mp3
   export alone.
4. mp3 with a brown-noise bed, ducked, normalized to -16 LUFS (two loudness measurement
   passes included) against the plain mp3; then the measurements alone, and the encoder
   alone on each stream (the floor: libmp3lame works about twice as hard on the bed).

Usage: .venv/bin/python benchmarks/bench_export_extras.py [--minutes 30] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))
from bench_export import best_of
from generated import write_routine

from voiceguide.audio.mix import Mix, apply_mix, with_loudness_gain
from voiceguide.audio.render import render_pcm
from voiceguide.export.encode import export_pcm
from voiceguide.export.outputs import export_audio, export_bundle, metadata_for
from voiceguide.session import prepare
from voiceguide.speech.cache import ClipCache
from voiceguide.speech.espeak import Pyttsx3Engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        routine = write_routine(work, args.minutes)
        session, clips = prepare(routine, Pyttsx3Engine, ClipCache(work / "cache"))
        chapters = session.timeline.chapters

        def plain(fmt: str) -> None:
            export_pcm(
                render_pcm(session.timeline, clips, session.sample_rate),
                session.n_samples,
                session.sample_rate,
                work / f"plain.{fmt}",
                metadata=metadata_for(session),
            )

        def with_chapters(fmt: str) -> None:
            export_audio(session, clips, work / f"chapters.{fmt}")

        for fmt in ("mp3", "m4a"):
            base = best_of(args.repeat, lambda f=fmt: plain(f))
            extra = best_of(args.repeat, lambda f=fmt: with_chapters(f))
            print(
                f"{fmt}, {args.minutes} min, {len(chapters)} chapters: plain {base:.3f} s, "
                f"with chapters {extra:.3f} s; RATIO chapters/plain {fmt} = {extra / base:.3f}"
            )
        base = best_of(args.repeat, lambda: plain("mp3"))
        bundle = best_of(args.repeat, lambda: export_bundle(session, clips, work / "bundle", "s"))
        print(
            f"bundle (mp3 + 6 sidecars) {bundle:.3f} s against the mp3 alone {base:.3f} s; "
            f"RATIO bundle/plain = {bundle / base:.3f}"
        )

        def render(start: int):  # type: ignore[no-untyped-def]
            return render_pcm(session.timeline, clips, session.sample_rate, start_sample=start)

        def loudness_passes() -> Mix:
            mix, _, _ = with_loudness_gain(
                Mix("brown-noise", loudness_lufs=-16.0), render, session.timeline, session.sample_rate
            )
            return mix

        mix = loudness_passes()

        def with_bed() -> None:
            export_audio(session, clips, work / "bed.mp3", mix=loudness_passes())

        bed = best_of(args.repeat, with_bed)
        print(
            f"mp3 with a ducked brown-noise bed at -16 LUFS {bed:.3f} s against plain {base:.3f} s; "
            f"RATIO background/plain = {bed / base:.3f}"
        )
        passes = best_of(args.repeat, loudness_passes)
        export = best_of(args.repeat, lambda: export_audio(session, clips, work / "bed.mp3", mix=mix))
        print(
            f"  apart (best of each): the two loudness measurements {passes:.3f} s, "
            f"the export with their gain {export:.3f} s"
        )

        # what the encoder alone costs on each stream (PCM from a file, no mixing): the bed's
        # noise is about twice as much work for libmp3lame as speech and silence
        for name, mixed in (("plain", Mix()), ("bed", mix)):
            with (work / f"{name}.raw").open("wb") as f:
                for chunk in apply_mix(render, mixed, session.timeline, session.sample_rate):
                    f.write(chunk)
        encode = {
            name: best_of(
                args.repeat,
                lambda n=name: export_pcm(
                    raw_chunks(work / f"{n}.raw"),
                    session.n_samples,
                    session.sample_rate,
                    work / f"encoded-{n}.mp3",
                ),
            )
            for name in ("plain", "bed")
        }
        print(
            f"encoding alone: the mixed session {encode['bed']:.3f} s, the voice alone "
            f"{encode['plain']:.3f} s; RATIO encoder bed/plain = {encode['bed'] / encode['plain']:.3f}"
        )


def raw_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(1 << 16):
            yield chunk


if __name__ == "__main__":
    main()
