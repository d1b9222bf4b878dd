"""Cold synthesis of N distinct utterances: voiceguide vs the espeak-ng CLI run serially.

Ours: ``synthesize_all`` with ``Pyttsx3Engine`` into an empty cache, in a fresh process (so
starting pyttsx3 counts, as for ``voiceguide synthesize``), levelled to -16 LUFS as
``voiceguide synthesize`` levels every clip by default, and not levelled (``--no-level``
alone). The work runs on the process's synthesis scheduler (automatic worker count) unless
``--workers N``. Baseline: ``espeak-ng -s RATE -w out.wav "text"`` once per utterance, one
after another. Runs are interleaved and the best of ``--repeat`` counts (the machine is
shared); prints the ratios ours/baseline; the goal (issue 22) is ≤ 0.7 for the levelled
line on 2 CPUs. Only ``synthesize_all(texts, factory, voice, cache, workers=)`` is used,
so the script also measures an older checkout (``PYTHONPATH=CHECKOUT``, run from there).

Usage::

    .venv/bin/python benchmarks/bench_synthesis.py [--count 300] [--texts FILE]
        [--routine PATH] [--rate 150] [--repeat 3] [--workers N] [--no-level]

``--count N`` (default 300, issue 22's figure): the 80 guidance sentences below, then the
same with " Round 2." and so on appended. ``--texts FILE``: one utterance per line (blank
lines skipped). ``--routine PATH``: the distinct utterances of a routine script (or
bundled name) at its default pacing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from voiceguide.speech.cache import ClipCache
from voiceguide.speech.engine import VoiceSpec
from voiceguide.speech.espeak import Pyttsx3Engine
from voiceguide.speech.synth import synthesize_all

LEVEL_LUFS = -16.0  # voiceguide's default loudness (pcm.level.DEFAULT_LOUDNESS_LUFS)

GUIDANCE = [
    "Welcome.",
    "Find a quiet place where you will not be disturbed for the next ten minutes.",
    "Lie on your back with your knees bent and your feet flat on the floor.",
    "Let your arms rest by your sides, palms facing up.",
    "Close your eyes if that feels comfortable.",
    "Take a moment to notice how your body feels right now.",
    "Stop at once if you feel sharp pain, numbness or tingling.",
    "Breathe in.",
    "Breathe out.",
    "Hold.",
    "Relax.",
    "Release.",
    "Switch sides.",
    "Halfway there.",
    "Keep breathing slowly.",
    "Well done.",
    "Three.",
    "Two.",
    "One.",
    "Rest.",
    "Gently pull your left knee toward your chest, holding it with both hands.",
    "Gently pull your right knee toward your chest, holding it with both hands.",
    "Keep your other leg relaxed, with the foot resting on the floor.",
    "Let your lower back sink into the floor as you breathe out.",
    "Slowly lower your leg and rest for a moment.",
    "Bring both knees up to your chest and rock gently from side to side.",
    "Feel the massage along your spine as you rock.",
    "Now let both knees fall slowly to the left, keeping your shoulders on the floor.",
    "Now let both knees fall slowly to the right, keeping your shoulders on the floor.",
    "Turn your head the other way if your neck allows it.",
    "Bring your knees back to the middle.",
    "Tilt your pelvis and flatten your back against the floor.",
    "Hold the tilt and breathe.",
    "Let your back return to its natural curve.",
    "Roll onto your hands and knees for the cat and cow stretch.",
    "Place your hands under your shoulders and your knees under your hips.",
    "As you breathe in, let your belly drop and lift your gaze.",
    "As you breathe out, round your back toward the ceiling and tuck your chin.",
    "Move slowly with your breath, one vertebra at a time.",
    "Sit back on your heels and stretch your arms forward for child's pose.",
    "Let your forehead rest on the floor or on a cushion.",
    "Breathe into your lower back and feel it widen with every breath in.",
    "Stay here for a few breaths.",
    "Walk your hands back and come up slowly to sitting.",
    "Lie on your stomach and rest your forehead on your hands.",
    "Press your hips into the floor and lift your chest a little.",
    "Only go as high as is comfortable; this is not a competition.",
    "Lower your chest and rest.",
    "Turn onto your back again.",
    "Hug your knees and give yourself a moment.",
    "Box breathing.",
    "Breathe in through your nose for four counts.",
    "Hold your breath gently, without strain.",
    "Breathe out through your mouth for four counts.",
    "Hold with your lungs empty.",
    "Four seven eight breathing.",
    "Breathe in quietly through your nose for four.",
    "Hold for seven.",
    "Breathe out completely through your mouth for eight, with a whoosh.",
    "That is one cycle.",
    "Let your breathing return to its own rhythm.",
    "Notice the weight of your body on the floor.",
    "Notice any tension in your jaw, and let it go.",
    "Soften your shoulders and let them drop away from your ears.",
    "Let your hands and fingers be completely still.",
    "If your mind wanders, gently bring it back to your breath.",
    "There is nothing you need to do right now.",
    "Scan slowly from the top of your head down to your toes.",
    "Wiggle your fingers and toes.",
    "Stretch your arms above your head and lengthen your whole body.",
    "Roll to your right side and rest there for a moment.",
    "Use your hands to push yourself up slowly to sitting.",
    "Take your time before you stand up.",
    "Drink some water when you are ready.",
    "Well done. You have finished the lower back routine for today.",
    "Come back to this routine whenever your back feels stiff.",
    "Next: knee to chest.",
    "Next: cat and cow.",
    "Next: child's pose.",
    "Well done. Roll to your side and sit up slowly.",
]


def numbered_texts(count: int) -> list[str]:
    """``count`` distinct guidance texts (the 80 sentences, then "… Round k.")."""
    rounds = count // len(GUIDANCE) + 2
    texts = [text if k == 1 else f"{text} Round {k}." for k in range(1, rounds) for text in GUIDANCE]
    return texts[:count]


def read_texts(args: argparse.Namespace) -> tuple[list[str], int]:
    """The utterances to synthesize, distinct and in order, and the rate in wpm."""
    rate = args.rate
    if args.texts:
        lines = Path(args.texts).read_text(encoding="utf-8").splitlines()
        texts = [line.strip() for line in lines if line.strip()]
    elif args.routine:
        from voiceguide.routine.bundled import resolve_routine
        from voiceguide.routine.loader import load_routine
        from voiceguide.timing.pacing import resolve_pacing
        from voiceguide.timing.timeline import utterances

        routine, _ = load_routine(resolve_routine(args.routine))
        pacing = resolve_pacing(routine).pacing
        texts = utterances(routine, pacing)
        rate = rate or pacing.rate_wpm
    else:
        texts = numbered_texts(args.count)
    return list(dict.fromkeys(texts)), rate or 150


def time_ours(texts: list[str], voice: VoiceSpec, workers: int | None) -> float:
    """Seconds for ``synthesize_all`` into an empty cache, in a fresh process (so starting
    pyttsx3 counts, as it does for ``voiceguide synthesize``)."""
    with tempfile.TemporaryDirectory() as tmp:
        texts_file = Path(tmp) / "texts.txt"
        texts_file.write_text("\n".join(texts), encoding="utf-8")
        command = [sys.executable, __file__, "--child", str(texts_file), "--rate", str(voice.rate_wpm)]
        if workers is not None:
            command += ["--workers", str(workers)]
        if voice.loudness_lufs is None:
            command.append("--no-level")
        result = subprocess.run(command, check=True, capture_output=True, text=True)
        return float(result.stdout)


def child(texts_file: str, voice: VoiceSpec, workers: int | None) -> None:
    """Print the seconds ``synthesize_all`` takes for the texts in ``texts_file``."""
    texts = Path(texts_file).read_text(encoding="utf-8").splitlines()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        synthesize_all(texts, Pyttsx3Engine, voice, ClipCache(Path(tmp)), workers=workers)
        print(time.perf_counter() - start)


def time_cli(texts: list[str], rate: int) -> float:
    """Seconds for one ``espeak-ng -s RATE -w FILE TEXT`` per utterance, serially."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise SystemExit("espeak-ng is not installed: run `sudo apt-get install espeak-ng`")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        for i, text in enumerate(texts):
            out = os.path.join(tmp, f"{i}.wav")
            subprocess.run([espeak, "-s", str(rate), "-w", out, text], check=True)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--count", type=int, default=300, help="distinct guidance texts")
    source.add_argument("--texts", metavar="FILE", help="one utterance per line")
    source.add_argument("--routine", metavar="PATH", help="a routine script or bundled name")
    parser.add_argument("--rate", type=int, help="words per minute (default: the routine's, else 150)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts")
    parser.add_argument("--workers", type=int, default=None, help="threads (default: automatic)")
    parser.add_argument("--no-level", action="store_true", help="measure only unlevelled synthesis")
    parser.add_argument("--child", metavar="FILE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(
            args.child, VoiceSpec(None, args.rate, None if args.no_level else LEVEL_LUFS), args.workers
        )
    texts, rate = read_texts(args)
    voices = {"not levelled": VoiceSpec(None, rate)}
    if not args.no_level:
        voices = {f"levelled to {LEVEL_LUFS:g} LUFS": VoiceSpec(None, rate, LEVEL_LUFS), **voices}
    ours: dict[str, list[float]] = {label: [] for label in voices}
    baseline = []
    for _ in range(args.repeat):  # interleaved, so all see the same machine state
        for label, voice in voices.items():
            ours[label].append(time_ours(texts, voice, args.workers))
        baseline.append(time_cli(texts, rate))
    workers = args.workers or f"automatic ({len(os.sched_getaffinity(0))} CPUs)"
    print(f"{len(texts)} distinct utterances at {rate} wpm, workers: {workers}; best of {args.repeat}")
    for label, seconds in ours.items():
        print(f"voiceguide synthesize_all (cold cache), {label}: {min(seconds):.3f} s")
    print(f"espeak-ng -w per utterance, serial: {min(baseline):.3f} s")
    for label, seconds in ours.items():
        name = label.split()[0].replace("not", "unlevelled")
        print(
            f"RATIO {name}_synthesis/espeak_cli = {min(seconds) / min(baseline):.2f}"
            + ("  (goal <= 0.70)" if name == "levelled" else "")
        )


if __name__ == "__main__":
    main()
