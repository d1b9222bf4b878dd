"""The options that say how a session sounds (--loudness, --voice-volume, --chime-volume,
--bell) and what is mixed under it (--background, --background-db, --duck-db), shared by
play, export and synthesize, and the loudness a bed's mix is brought to."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from ..formatting import shown

if TYPE_CHECKING:
    from ..audio.mix import Mix
    from ..audio.sound import Sound
    from ..session import ClipSource, Session


BACKGROUND_DB = -20.0  #: --background-db: the bed's level against its own (dB)
DUCK_DB = -12.0  #: --duck-db: the bed lowered by this much while the voice speaks (dB)


class _Loudness(click.ParamType):  # type: ignore[type-arg]  # generic only in newer click
    name = "LUFS|off"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, float) or value == "off":
            return value
        try:
            lufs = float(value) if str(value).isascii() else math.nan
        except ValueError:
            lufs = math.nan
        if not math.isfinite(lufs):
            self.fail(f"{shown(value)} is not a loudness in LUFS (e.g. -16) or 'off'", param, ctx)
        if not -40 <= lufs <= -5:
            self.fail(f"{lufs:g} LUFS is outside -40 to -5", param, ctx)
        return lufs


def mix_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--background, --background-db, --duck-db, --loudness, --voice-volume, --chime-volume,
    --bell → one ``mix`` argument (its ``sound`` also goes to synthesis: clips are levelled
    as they enter the cache)."""
    from .options import FiniteFloatRange

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        background = kwargs.pop("background")
        sound = sound_of(kwargs)
        mix = mix_for(background, sound, kwargs.pop("background_db"), kwargs.pop("duck_db"))
        return f(*args, mix=mix, **kwargs)

    options = [
        click.option(
            "--background",
            metavar="FILE|brown-noise",
            help="Mix a bed under the voice: a sound file (looped or cut to the "
            "session) or generated brown noise.",
        ),
        click.option(
            "--background-db",
            type=FiniteFloatRange(-60, 0),
            default=BACKGROUND_DB,
            show_default=True,
            metavar="DB",
            help="The bed's level against its own.",
        ),
        click.option(
            "--duck-db",
            type=FiniteFloatRange(-60, 0),
            default=DUCK_DB,
            show_default=True,
            metavar="DB",
            help="How much lower the bed is while the voice speaks (smooth ramps).",
        ),
        *SOUND_OPTIONS,
    ]
    decorated: Callable[..., Any] = wrapper
    for option in reversed(options):
        decorated = option(decorated)
    return decorated


def mix_for(
    background: str | None,
    sound: Sound | None = None,
    background_db: float = BACKGROUND_DB,
    duck_db: float = DUCK_DB,
) -> Mix:
    """The ``Mix`` of these options (the defaults are the options'): a bed is checked
    before any work, and with one the mixed session is measured and brought to the
    loudness target as a whole."""
    from ..audio.mix import Mix, check_background
    from ..audio.sound import Sound

    sound = sound or Sound()
    if background is not None:
        check_background(background)
    return Mix(
        background,
        background_db,
        duck_db,
        sound.loudness_lufs if background is not None else None,
        sound=sound,
    )


def sound_of(kwargs: dict[str, Any]) -> Sound:
    """The ``Sound`` of --loudness, --voice-volume, --chime-volume and --bell (popped)."""
    from ..audio.sound import Sound

    return Sound(
        loudness_target(kwargs.pop("loudness")),
        kwargs.pop("voice_volume"),
        kwargs.pop("chime_volume"),
        kwargs.pop("bell"),
    )


def loudness_target(loudness: float | str) -> float | None:
    """--loudness as a target in LUFS; None for 'off' (the engine's own level)."""
    return None if loudness == "off" else float(loudness)


def sound_options() -> list[Callable[..., Any]]:
    from ..audio.sound import BELLS, VOLUME_RANGE_DB
    from .options import FiniteFloatRange

    return [
        click.option(
            "--loudness",
            type=_Loudness(),
            default=-16.0,
            show_default=True,
            help="Level every clip (speech, chime) to this loudness in LUFS, so the "
            "session lands on it with true peaks at or under -1 dBTP; 'off': as the "
            "speech engine made it.",
        ),
        click.option(
            "--voice-volume",
            type=FiniteFloatRange(*VOLUME_RANGE_DB),
            default=0.0,
            show_default=True,
            metavar="DB",
            help="The voice, quieter by this much.",
        ),
        click.option(
            "--chime-volume",
            type=FiniteFloatRange(*VOLUME_RANGE_DB),
            default=0.0,
            show_default=True,
            metavar="DB",
            help="The chime, quieter by this much (it sits 4 dB under the voice).",
        ),
        click.option(
            "--bell",
            type=click.Choice(BELLS),
            default="bell",
            show_default=True,
            help="The sound that ends a hold: a small bell, a singing bowl, a wood block, or none.",
        ),
    ]


SOUND_OPTIONS = sound_options()


def finish_mix(session: Session, clips: ClipSource, mix: Mix, quiet: bool) -> Mix:
    """``mix`` with its loudness gain measured on this session (a full render, once)."""
    from ..service import Prepared, finish_loudness

    loudness = finish_loudness(Prepared(session, clips), mix).loudness
    if loudness is None:
        return mix
    if not quiet:
        click.echo(loudness_line(loudness.before_lufs, loudness.mix.gain_db, loudness.after_lufs), err=True)
    return loudness.mix


def loudness_line(before_lufs: float, gain_db: float, after_lufs: float) -> str:
    """What the loudness pass did, in numbers that add up as printed (to 0.1): the
    session's loudness, the gain, what the peak limiter held back (when it did) and the
    result: ``loudness -16.7 LUFS, gain +1.4 dB, peak limiter -0.7 dB → ≈-16.0 LUFS``.
    The limiter's share is the difference of the rounded figures, so it closes the sum."""
    if not math.isfinite(before_lufs + after_lufs):  # silence: -inf LUFS, no gain
        return f"loudness {before_lufs:.1f} LUFS: nothing to level"
    before, gain, after = (round(value, 1) for value in (before_lufs, gain_db, after_lufs))
    limiter = round(after - before - gain, 1)
    held = f", peak limiter {limiter:+.1f} dB" if limiter else ""
    return f"loudness {before:.1f} LUFS, gain {gain:+.1f} dB{held} → ≈{after:.1f} LUFS"
