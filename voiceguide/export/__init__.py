"""Writing files: encoding, everything one export writes, sidecars, the JSON document."""
