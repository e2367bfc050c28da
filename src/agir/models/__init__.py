"""Plain nn.Modules: the VQ-VAE motion tokenizer and the LLM backbone."""
