"""From passages to an answer: answerability, the extractive answerer, the LLM answerer and
its citation check, and the assistant that runs retrieve -> answer for one question."""
