"""Text: gait descriptions, chain-of-thought rationales, prompts and score parsing."""
