"""Developer tools (the monkey, the state machine, the translation catalog): never imported by the app."""
