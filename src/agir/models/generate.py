"""Batched inference with a stage's model: greedy generation with the KV cache, and score probabilities.

`rationales_and_probabilities` is the one path from prompt texts to rationales and score probabilities, for the
reasoning stage's validation and for `agir.assess` alike. Its generation prompt is cut so that it and
`max_new_tokens` fit in `max_length`, never by the reference answer's length: a new file has none, and at
evaluation the reference's length would tell the model how much of the motion to see.

`score_probabilities` is the parse-free prediction: the body of a generated rationale is completed with `Score:`, and
the model's probabilities of the four score tokens there, renormalized over them, are its distribution over the
score given its own reasoning (one teacher-forced pass). A tokenizer that does not write each score as one token
after a shared prefix gets it from the four completed answers' whole likelihoods instead (four passes).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import torch
import torch.nn.functional as F
from transformers import LogitsProcessorList

from agir.models.grounding import GroundedNumbers
from agir.text.prompts import IGNORE_INDEX, SFTExample, collate, collate_prompts, encode_example, encode_prompt
from agir.text.score import SCORES, rationale_body, with_score


def _chunks(order: list[int], size: int) -> list[list[int]]:
    return [order[start:start + size] for start in range(0, len(order), size)]


@torch.no_grad()
def generate_texts(model, tokenizer, prompts: list[list[int]], max_new_tokens: int, batch_size: int = 32,
                   parameters: Sequence[Mapping] | None = None) -> list[str]:
    """Greedy continuations of tokenized prompts, decoded without special tokens; prompts of similar length are
    batched together (left padding), results come back in the input order. With `parameters` (one measured-gait
    mapping per prompt) the numbers the texts cite are grounded in them (`agir.models.grounding`)."""
    if parameters is not None and len(parameters) != len(prompts):
        raise ValueError(f"{len(parameters)} parameter sets for {len(prompts)} prompts")
    device = next(model.parameters()).device
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
    texts: list[str] = [""] * len(prompts)
    for chunk in _chunks(order, batch_size):
        prompt_batch = collate_prompts([prompts[i] for i in chunk], tokenizer.pad_token_id)
        batch = {k: v.to(device) for k, v in prompt_batch.items()}
        processors = LogitsProcessorList()
        if parameters is not None:
            processors.append(GroundedNumbers(tokenizer, [parameters[i] for i in chunk], batch["input_ids"].shape[1]))
        output = model.generate(**batch, max_new_tokens=max_new_tokens, do_sample=False, use_cache=True,
                                eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
                                logits_processor=processors)
        new_tokens = output[:, batch["input_ids"].shape[1]:]
        for row, index in enumerate(chunk):
            texts[index] = tokenizer.decode(new_tokens[row], skip_special_tokens=True).strip()
    return texts


def _examples(tokenizer, prompts: list[str], answers: list[str], max_length: int,
              use_chat_template: bool) -> list[SFTExample]:
    return [encode_example(tokenizer, prompt, answer, max_length, use_chat_template)
            for prompt, answer in zip(prompts, answers)]


@torch.no_grad()
def _logits(model, tokenizer, examples: list[SFTExample], batch_size: int) -> Iterator[tuple[int, torch.Tensor]]:
    """(index, logits of that example without its padding) for every example, in batches of similar length."""
    device = next(model.parameters()).device
    order = sorted(range(len(examples)), key=lambda i: len(examples[i].input_ids))
    for chunk in _chunks(order, batch_size):
        batch = {k: v.to(device) for k, v in collate([examples[i] for i in chunk], tokenizer.pad_token_id).items()}
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        for row, index in enumerate(chunk):
            yield index, logits[row, :len(examples[index].input_ids)]


def _answer_log_likelihood(logits: torch.Tensor, example: SFTExample) -> float:
    """Sum of log p(token) over the supervised tokens (the answer and its EOS), as training supervises them."""
    labels = torch.tensor(example.labels[1:], device=logits.device)
    picked = torch.log_softmax(logits[:-1].float(), dim=-1).gather(-1, labels.clamp_min(0)[:, None])[:, 0]
    return float((picked * (labels != IGNORE_INDEX)).sum())


def _single_token_choice(candidates: list[SFTExample]) -> tuple[int, list[int]] | None:
    """Where the four completed answers differ, when that is one supervised token each: (position, their ids)."""
    ids = [c.input_ids for c in candidates]
    if len({len(i) for i in ids}) != 1:
        return None
    differ = [t for t in range(len(ids[0])) if len({i[t] for i in ids}) > 1]
    if len(differ) != 1 or candidates[0].labels[differ[0]] == IGNORE_INDEX:
        return None
    return differ[0], [i[differ[0]] for i in ids]


def score_probabilities(model, tokenizer, prompts: list[str], rationales: list[str], max_length: int,
                        use_chat_template: bool, batch_size: int = 32) -> torch.Tensor:
    """(N, 4) probabilities of scores 0-3 given each prompt and the body of its generated rationale.

    Where each score is one token after a shared `... Score:` (every tokenizer we ship), they are the model's
    next-token probabilities there, renormalized over the four: one forward pass per rationale. Otherwise each
    completed answer's whole likelihood is compared, four passes."""
    bodies = [rationale_body(text) for text in rationales]
    candidates = [_examples(tokenizer, [prompt] * len(SCORES), [with_score(body, score) for score in SCORES],
                            max_length, use_chat_template) for prompt, body in zip(prompts, bodies)]
    choices = [_single_token_choice(four) for four in candidates]
    log_likelihood = torch.zeros(len(prompts), len(SCORES), dtype=torch.float64)
    single = [i for i, choice in enumerate(choices) if choice is not None]
    for row, logits in _logits(model, tokenizer, [candidates[i][0] for i in single], batch_size):
        position, tokens = choices[single[row]]
        log_likelihood[single[row]] = torch.log_softmax(logits[position - 1].float(), dim=-1)[tokens].double().cpu()
    several = [(i, score) for i, choice in enumerate(choices) if choice is None for score in SCORES]
    examples = [candidates[i][score] for i, score in several]
    for row, logits in _logits(model, tokenizer, examples, batch_size):
        log_likelihood[several[row]] = _answer_log_likelihood(logits, examples[row])
    return F.softmax(log_likelihood, dim=-1)


def generation_prompt(tokenizer, prompt: str, max_length: int, max_new_tokens: int,
                      use_chat_template: bool) -> list[int]:
    """The tokens a rationale is generated from: `prompt`, cut so that it and `max_new_tokens` fit in `max_length`."""
    if max_new_tokens >= max_length:
        raise ValueError(f"max_new_tokens ({max_new_tokens}) leaves no room for a prompt within max_length "
                         f"({max_length})")
    return encode_prompt(tokenizer, prompt, use_chat_template, max_length=max_length - max_new_tokens)


def rationales_and_probabilities(model, tokenizer, prompts: list[str], max_new_tokens: int, max_length: int,
                                 use_chat_template: bool, batch_size: int = 32,
                                 parameters: Sequence[Mapping] | None = None) -> tuple[list[str], torch.Tensor]:
    """Greedy rationales for prompt texts (their numbers grounded in `parameters` when given, one mapping per
    prompt) and, given each, the (N, 4) probabilities of scores 0-3."""
    prompt_ids = [generation_prompt(tokenizer, prompt, max_length, max_new_tokens, use_chat_template)
                  for prompt in prompts]
    rationales = generate_texts(model, tokenizer, prompt_ids, max_new_tokens, batch_size, parameters)
    probabilities = score_probabilities(model, tokenizer, prompts, rationales, max_length, use_chat_template,
                                        batch_size)
    return rationales, probabilities
