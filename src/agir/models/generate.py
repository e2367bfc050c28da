"""Batched inference with a stage's model: greedy generation with the KV cache, and score probabilities.

`rationales_and_probabilities` is the one path from prompt texts to rationales and score probabilities, for the
reasoning stage's validation and for `agir.assess` alike. Its generation prompt is cut so that it and
`max_new_tokens` fit in `max_length`, never by the reference answer's length: a new file has none, and at
evaluation the reference's length would tell the model how much of the motion to see.

`score_probabilities` is the parse-free prediction: for a generated rationale it completes the body with each line
`Score: 0` .. `Score: 3`, reads the log-likelihood the model gives each completed answer (teacher forced, exactly as
training supervised it) and normalizes over the four. The shared body cancels out, so this is the model's
distribution over the score given its own reasoning, whatever the tokenizer makes of digits.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from agir.text.prompts import IGNORE_INDEX, collate, collate_prompts, encode_example, encode_prompt
from agir.text.score import SCORES, rationale_body, with_score


def _chunks(order: list[int], size: int) -> list[list[int]]:
    return [order[start:start + size] for start in range(0, len(order), size)]


@torch.no_grad()
def generate_texts(model, tokenizer, prompts: list[list[int]], max_new_tokens: int, batch_size: int = 32) -> list[str]:
    """Greedy continuations of tokenized prompts, decoded without special tokens; prompts of similar length are
    batched together (left padding), results come back in the input order."""
    device = next(model.parameters()).device
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
    texts: list[str] = [""] * len(prompts)
    for chunk in _chunks(order, batch_size):
        batch = {k: v.to(device) for k, v in collate_prompts([prompts[i] for i in chunk], tokenizer.pad_token_id).items()}
        output = model.generate(**batch, max_new_tokens=max_new_tokens, do_sample=False, use_cache=True,
                                eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
        new_tokens = output[:, batch["input_ids"].shape[1]:]
        for row, index in enumerate(chunk):
            texts[index] = tokenizer.decode(new_tokens[row], skip_special_tokens=True).strip()
    return texts


@torch.no_grad()
def answer_log_likelihoods(model, tokenizer, prompts: list[str], answers: list[str], max_length: int,
                           use_chat_template: bool, batch_size: int = 32) -> torch.Tensor:
    """Sum of log p(answer token) over each answer and its EOS, as training supervises them, (N,) float64."""
    device = next(model.parameters()).device
    examples = [encode_example(tokenizer, prompt, answer, max_length, use_chat_template)
                for prompt, answer in zip(prompts, answers)]
    totals = torch.zeros(len(examples), dtype=torch.float64)
    order = sorted(range(len(examples)), key=lambda i: len(examples[i].input_ids))
    for chunk in _chunks(order, batch_size):
        batch = {k: v.to(device) for k, v in collate([examples[i] for i in chunk], tokenizer.pad_token_id).items()}
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits[:, :-1]
        labels = batch["labels"][:, 1:]
        supervised = labels != IGNORE_INDEX
        picked = torch.log_softmax(logits.float(), dim=-1).gather(-1, labels.clamp_min(0)[..., None])[..., 0]
        totals[chunk] = (picked * supervised).sum(dim=1).double().cpu()
    return totals


def score_probabilities(model, tokenizer, prompts: list[str], rationales: list[str], max_length: int,
                        use_chat_template: bool, batch_size: int = 32) -> torch.Tensor:
    """(N, 4) probabilities of scores 0-3 given each prompt and the body of its generated rationale."""
    bodies = [rationale_body(text) for text in rationales]
    answers = [with_score(body, score) for body in bodies for score in SCORES]
    repeated = [prompt for prompt in prompts for _ in SCORES]
    log_likelihood = answer_log_likelihoods(model, tokenizer, repeated, answers, max_length, use_chat_template,
                                            batch_size)
    return F.softmax(log_likelihood.view(len(prompts), len(SCORES)), dim=-1)


def generation_prompt(tokenizer, prompt: str, max_length: int, max_new_tokens: int,
                      use_chat_template: bool) -> list[int]:
    """The tokens a rationale is generated from: `prompt`, cut so that it and `max_new_tokens` fit in `max_length`."""
    if max_new_tokens >= max_length:
        raise ValueError(f"max_new_tokens ({max_new_tokens}) leaves no room for a prompt within max_length "
                         f"({max_length})")
    return encode_prompt(tokenizer, prompt, use_chat_template, max_length=max_length - max_new_tokens)


def rationales_and_probabilities(model, tokenizer, prompts: list[str], max_new_tokens: int, max_length: int,
                                 use_chat_template: bool, batch_size: int = 32) -> tuple[list[str], torch.Tensor]:
    """Greedy rationales for prompt texts and, given each, the (N, 4) probabilities of scores 0-3."""
    prompt_ids = [generation_prompt(tokenizer, prompt, max_length, max_new_tokens, use_chat_template)
                  for prompt in prompts]
    rationales = generate_texts(model, tokenizer, prompt_ids, max_new_tokens, batch_size)
    probabilities = score_probabilities(model, tokenizer, prompts, rationales, max_length, use_chat_template,
                                        batch_size)
    return rationales, probabilities
