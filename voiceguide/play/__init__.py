"""Playing a session: the player, the audio sink, keys and the live display."""
