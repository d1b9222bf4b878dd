"""`voiceguide serve`: the local web player, its JSON API and the podcast feed (issue 15)."""
