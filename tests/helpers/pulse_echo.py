"""``python -m tests.helpers.pulse_echo``, run with :func:`tests.helpers.pulse.pulse_room`'s
environment: the player plays speech-like sound through :class:`~voiceguide.play.sink.AlsaSink`
(restarted at the very sample it reached every ``--join-s``, as a cold session's streams
join), the play loop tells the listener what plays next, as ``play --listen`` does, and the
listener's echo canceller works on the real device's microphone. Prints ``erle T DB`` every
second and ``trusted T`` once the canceller is trusted (then exits 0), or ``never`` at the
end. (A process of its own: alsa-lib reads ~/.asoundrc once a process.)"""

from __future__ import annotations

import argparse
import time

import numpy as np

from voiceguide.pcm.clip import Clip
from voiceguide.play.echo import TAPS, PlayedSound
from voiceguide.play.listen import GuideVoice, VoiceCommands
from voiceguide.play.microphone import CAPTURE_RATE, AlsaMicrophone
from voiceguide.play.player import Player
from voiceguide.play.sink import AlsaSink
from voiceguide.timing.timeline import Event, Timeline

from .room import talk

AHEAD_S = 0.4  # as play.listening
TICK_S = 0.1


class Deaf:
    """A recognizer that hears nothing (only the canceller is measured)."""

    name = "deaf"

    def hear(self, pcm: bytes) -> str:
        return ""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--join-s", type=float, default=8.0)
    args = parser.parse_args()
    sound = np.clip(talk(args.seconds, seed=11), -32768, 32767).astype("<i2").tobytes()
    duration_ms = int(args.seconds * 1000)
    timeline = Timeline("", duration_ms, (Event(0, duration_ms, "speech", "guide", "", 0),), (), ())
    player = Player(timeline, lambda e: Clip(sound, CAPTURE_RATE), CAPTURE_RATE, AlsaSink())
    guide = GuideVoice(lambda start_ms, end_ms: ("guide",) if start_ms < duration_ms else ())
    played = PlayedSound()
    listener = VoiceCommands(AlsaMicrophone(), Deaf(), guide, played=played).start()
    canceller = listener.canceller
    assert canceller is not None
    began = time.monotonic()
    player.start(0)
    next_join, next_report = args.join_s, 1.0
    try:
        while not player.finished():
            now = time.monotonic()
            t = now - began
            player.tick()
            if t >= next_join:  # a new stream at the sample reached
                player.seek(player.position())
                next_join += args.join_s
            guide.observe(now, player.position() * 1000 // CAPTURE_RATE, paused=False)
            first, pcm = player.upcoming(round(AHEAD_S * CAPTURE_RATE), before=TAPS)
            played.play_at(first, np.frombuffer(pcm, dtype="<i2").astype(np.float64), CAPTURE_RATE)
            if t >= next_report:
                next_report += 1.0
                print(f"erle {t:.1f} {canceller.erle_db:.1f}", flush=True)
                if canceller.trusted:
                    print(f"trusted {t:.1f}", flush=True)
                    return
            time.sleep(max(0.0, TICK_S - (time.monotonic() - now)))
        print("never", flush=True)
    finally:
        player.stop()
        listener.close()


if __name__ == "__main__":
    main()
