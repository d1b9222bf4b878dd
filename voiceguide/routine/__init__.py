"""The routine: its model, the YAML loader and its schema, durations, text, bundled files."""
