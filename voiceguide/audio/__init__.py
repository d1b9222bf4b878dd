"""Audio samples: clips, rendering a timeline to PCM, the mix, the chime, WAV files."""
