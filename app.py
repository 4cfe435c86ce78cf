"""Gradio web chat (work in progress)."""
