"""PCM, below speech and audio alike: `Clip` (int16 mono), WAV files, loudness levelling.

It imports nothing else of the package (the standard library and numpy only).
"""
