"""Static parts of the web chat: HTML rendering helpers, CSS and JS (no gradio imports)."""
