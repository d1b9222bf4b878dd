"""Timing, pure: pacing (presets and layers), --duration fitting, the timeline compiler."""
