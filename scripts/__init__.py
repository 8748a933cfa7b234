"""Build tools for the talk: code images made from the demos."""
