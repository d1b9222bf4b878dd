"""Speech: the engine seam and its engines, synthesis into the cache, the clip cache."""
