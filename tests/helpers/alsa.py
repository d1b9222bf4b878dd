"""Playing without a sound card: ALSA's `file` plugin over `null`, in a temporary HOME."""

from __future__ import annotations

from pathlib import Path


def alsa_home(tmp_path: Path, device: str | None = None, append: bool = False) -> Path:
    """A HOME whose ~/.asoundrc sends ALSA's default device into capture.raw.

    Use it with ``alsa_env``, which also hides any sound server the user runs: ALSA's
    PulseAudio hook would otherwise take the default device over."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    (home / "runtime").mkdir(mode=0o700, exist_ok=True)
    capture = home / "capture.raw"
    target = f"| cat >> {capture}" if append else str(capture)  # append: one file for many streams
    device = device or f'type file; slave.pcm "null"; file "{target}"; format "raw"'
    (home / ".asoundrc").write_text(f"pcm.!default {{ {device} }}\n")
    return home


def alsa_env(home: Path) -> dict[str, str]:
    """The variables that make a run use ``home``'s ALSA device and no sound server."""
    return {"HOME": str(home), "XDG_RUNTIME_DIR": str(home / "runtime"), "PULSE_SERVER": "none"}
