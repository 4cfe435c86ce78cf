"""Evaluation suites: run questions through the public Assistant API and score the answers."""
