"""What several test files share (test files never import one another):

- `run`: the installed console script, the repository, a private environment for a run
- `routines`: small routines built in code, and one as a user would write it in YAML
- `alsa`: a HOME whose ALSA default device is a capture file
- `pulse`: a private PulseAudio null sink for real-time playback
- `players`: a Player on a fake sink and a fake clock
- `serving`: a folder, a TestClient and waits for `voiceguide serve`
- `library_table`: the README's table of bundled routines, read back
- `rendering`: the ends of a timeline rendered with silent clips
- `schema_documents`: hypothesis strategies for documents the published schema describes
"""
