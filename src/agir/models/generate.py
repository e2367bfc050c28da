"""Batched inference with a stage's model: greedy generation with a reserved KV cache, and score probabilities.

`rationales_and_probabilities` is the one path from prompt texts to rationales and score probabilities, for the
reasoning stage's validation and for `agir.assess` alike. Its generation prompt is cut so that it and
`max_new_tokens` fit in `max_length`, never by the reference answer's length: a new file has none, and at
evaluation the reference's length would tell the model how much of the motion to see.

Score probabilities are the parse-free prediction: the model's distribution over the four score tokens right after
its rationale's last `Score:`, renormalized over them, read while generating (`agir.models.score_reader`, no pass
of its own). Where that cannot be read (no `Score:` written, the answer cut right after it, a tokenizer that does
not write each score as one token), `score_probabilities` completes the rationale's body with `Score:` and reads
the same distribution in one teacher-forced pass, or compares the four completed answers' whole likelihoods where
a score is not one token (four passes).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from transformers import DynamicCache, LogitsProcessor, LogitsProcessorList

from agir.data.padding import collate, collate_prompts
from agir.models.grounding import Grounding
from agir.models.kv_cache import ReservedCache, cache_keyword, reserved_cache
from agir.models.score_reader import ScoreReader, score_token_ids
from agir.models.vocab_masks import token_texts
from agir.text.assessment import repetition_start
from agir.text.prompts import IGNORE_INDEX, SFTExample, encode_example, encode_prompt
from agir.text.score import SCORE_PREFIX, SCORES, rationale_body, with_score

# What a decoding step costs beyond its rows' attention, in padded prompt tokens of one row: measured on 2 CPU cores
# with the demo's backbone (about 1 ms a step, 0.6 us per row and cached token). On a GPU a step's fixed cost
# dwarfs its rows', so batches there are not split.
CPU_STEP_COST_TOKENS = 1800
# How many times a looping text is decoded again from where it began to repeat itself (`generate`).
LOOP_REDECODES = 3


def _chunks(order: list[int], size: int) -> list[list[int]]:
    return [order[start : start + size] for start in range(0, len(order), size)]


def length_groups(order: list[int], lengths: list[int], step_cost: float | None) -> list[list[int]]:
    """`order` (sorted by length) cut into consecutive groups that minimize the decoding cost, each group costing
    `step_cost` plus its rows times its longest prompt (left padding makes every row as long as that); one group
    when `step_cost` is None."""
    if step_cost is None:
        return [order]
    best = [0.0] + [float("inf")] * len(order)
    cut = [0] * (len(order) + 1)
    for end in range(1, len(order) + 1):
        for start in range(end):
            cost = best[start] + step_cost + (end - start) * lengths[order[end - 1]]
            if cost < best[end]:
                best[end], cut[end] = cost, start
    groups, end = [], len(order)
    while end:
        groups.append(order[cut[end] : end])
        end = cut[end]
    return groups[::-1]


@torch.no_grad()
def prefill_alone(model, cache: ReservedCache, prompts: list[list[int]], width: int) -> None:
    """Caches each prompt but its last token, one prompt at a time, left-padded to `width` as in the batch; generate
    then runs only the last column. On a CPU, the padded batch's prefill, attention masked over its padding, costs
    about 1.6x as much per prompt as the prompts run alone (demo backbone, 2 cores)."""
    device = next(model.parameters()).device
    keyword = cache_keyword(model)
    keep_last = {"logits_to_keep": 1} if "logits_to_keep" in inspect.signature(model.forward).parameters else {}
    for row, prompt in enumerate(prompts):
        if len(prompt) > 1:
            alone = DynamicCache(config=model.config)
            model(input_ids=torch.tensor([prompt[:-1]], device=device), use_cache=True, **{keyword: alone}, **keep_last)
            cache.place(row, len(prompts), alone, width - 1)


@dataclass
class Generation:
    text: str  # decoded without special tokens, stripped
    # Log-probabilities of scores 0-3 read right after the text's last `Score:` (agir.models.score_reader); None
    # where they could not be read there.
    score_log_probabilities: torch.Tensor | None = None
    tokens: list[int] = field(default_factory=list)  # the generated tokens, up to the end-of-sequence token
    redecoded: int = 0  # how many times it was decoded again from where it began to repeat itself


class RefuseFirst(LogitsProcessor):
    """Refuses `tokens` at the first decoding step only: the model takes its next choice there."""

    def __init__(self, tokens: list[int]):
        self.tokens, self.done = tokens, False

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if not self.done:
            scores[:, self.tokens] = float("-inf")
            self.done = True
        return scores


@torch.no_grad()
def generate(
    model,
    tokenizer,
    prompts: list[list[int]],
    max_new_tokens: int,
    batch_size: int = 32,
    parameters: Sequence[Mapping] | None = None,
    read_scores: bool = False,
    grounded_numbers: bool = True,
    grounded_grades: bool = False,
) -> list[Generation]:
    """Greedy continuations of tokenized prompts; prompts of similar length are batched together (left padding),
    results come back in the input order. On the CPU a batch of very different prompt lengths is generated in the
    groups that waste least on padding (`length_groups`). With `parameters` (one measured-gait mapping per
    prompt) the texts are grounded in them (`agir.models.grounding`): the numbers they cite with `grounded_numbers`,
    their grade words with `grounded_grades`; with `read_scores` the score
    distribution after each text's last `Score:` is kept, where the tokenizer writes each score as one token.

    A text that loops (`agir.text.assessment.repetition_start`) is decoded again from where it began to repeat
    itself, the words it repeated refused there, up to LOOP_REDECODES times: greedy decoding, once it has said a
    sentence twice, tends to say it until the token budget ends, and such an output has no verdict."""
    if parameters is not None and len(parameters) != len(prompts):
        raise ValueError(f"{len(parameters)} parameter sets for {len(prompts)} prompts")
    device = next(model.parameters()).device
    score_ids = score_token_ids(tokenizer) if read_scores else None
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
    generations: list[Generation] = [Generation("")] * len(prompts)
    lengths = [len(prompt) for prompt in prompts]
    step_cost = CPU_STEP_COST_TOKENS if device.type == "cpu" else None
    groups = [group for chunk in _chunks(order, batch_size) for group in length_groups(chunk, lengths, step_cost)]
    decode = _Decoder(model, tokenizer, score_ids, grounded_numbers, grounded_grades)
    for chunk in groups:
        measured = [parameters[i] for i in chunk] if parameters is not None else None
        for index, generation in zip(chunk, decode([prompts[i] for i in chunk], max_new_tokens, measured), strict=True):
            generations[index] = generation
    for index, prompt in enumerate(prompts):
        measured = [parameters[index]] if parameters is not None else None
        for _ in range(LOOP_REDECODES):
            again = _where_it_repeats(tokenizer, generations[index])
            if again is None:
                break
            kept, refused = again
            redecoded = generations[index].redecoded + 1
            generations[index] = decode([prompt + kept], max_new_tokens - len(kept), measured, len(kept), refused)[0]
            generations[index].redecoded = redecoded
    return generations


def _where_it_repeats(tokenizer, generation: Generation) -> tuple[list[int], list[int]] | None:
    """For a generation that loops: its tokens before the first repeated word's token, and the tokens that would
    begin saying it again there (each a start of the repeated text, the one the model wrote among them); None where
    it does not loop. Only a looping text is decoded again, unstripped, to find that token."""
    if repetition_start(generation.text) is None:
        return None
    tokens = generation.tokens
    text = tokenizer.decode(tokens, skip_special_tokens=True)
    start = repetition_start(text)
    kept = 0
    while kept < len(tokens) and len(tokenizer.decode(tokens[: kept + 1], skip_special_tokens=True)) <= start:
        kept += 1
    repeated = text[len(tokenizer.decode(tokens[:kept], skip_special_tokens=True)) :]
    refused = {i for i, piece in enumerate(token_texts(tokenizer)) if piece.strip() and repeated.startswith(piece)}
    return tokens[:kept], sorted(refused | {tokens[kept]})


class _Decoder:
    """One greedy decoding call over a group of token rows, each ending with `answered` tokens of its answer
    already written (left padding aligns their ends), with the score reader and grounding attached."""

    def __init__(self, model, tokenizer, score_ids: list[int] | None, grounded_numbers: bool, grounded_grades: bool):
        self.model, self.tokenizer, self.score_ids = model, tokenizer, score_ids
        self.grounded_numbers, self.grounded_grades = grounded_numbers, grounded_grades
        self.device = next(model.parameters()).device

    def __call__(
        self,
        rows: list[list[int]],
        max_new_tokens: int,
        parameters: list[Mapping] | None,
        answered: int = 0,
        refused: list[int] | None = None,
    ) -> list[Generation]:
        model, tokenizer = self.model, self.tokenizer
        prompt_batch = collate_prompts(rows, tokenizer.pad_token_id)
        batch = {k: v.to(self.device) for k, v in prompt_batch.items()}
        width = batch["input_ids"].shape[1]
        answer_start = width - answered
        # The score reader sees the model's own logits; grounding sees the model's choice once refusals are made.
        processors = LogitsProcessorList()
        reader = None if self.score_ids is None else ScoreReader(tokenizer, len(rows), answer_start, self.score_ids)
        if reader is not None:
            processors.append(reader)
        if refused:
            processors.append(RefuseFirst(refused))
        if parameters is not None:
            grounding = Grounding(tokenizer, parameters, answer_start, self.grounded_numbers, self.grounded_grades)
            processors.append(grounding)
        cache = reserved_cache(model.config, width + max_new_tokens)
        if cache is not None and self.device.type == "cpu":
            prefill_alone(model, cache, rows, width)
        output = model.generate(
            **batch,
            max_new_tokens=max_new_tokens,
            do_sample=False,
            use_cache=True,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
            logits_processor=processors,
            **({} if cache is None else {cache_keyword(model): cache}),
        )
        generations = []
        for row in range(len(rows)):
            tokens = output[row, answer_start:].tolist()
            if tokenizer.eos_token_id in tokens:
                tokens = tokens[: tokens.index(tokenizer.eos_token_id)]
            text = tokenizer.decode(tokens, skip_special_tokens=True)
            # Read after the last `Score:` only: an earlier one, or none when the answer stops right after it.
            last = text.strip().rfind(SCORE_PREFIX)
            read = reader is not None and last >= 0 and reader.read_at[row] == last + len(SCORE_PREFIX)
            log_probabilities = reader.log_probabilities[row] if read else None
            generations.append(Generation(text.strip(), log_probabilities, tokens))
        return generations


def generate_texts(
    model,
    tokenizer,
    prompts: list[list[int]],
    max_new_tokens: int,
    batch_size: int = 32,
    parameters: Sequence[Mapping] | None = None,
) -> list[str]:
    """The texts of `generate`: greedy continuations, decoded without special tokens, in the input order."""
    return [g.text for g in generate(model, tokenizer, prompts, max_new_tokens, batch_size, parameters)]


def _examples(
    tokenizer, prompts: list[str], answers: list[str], max_length: int, use_chat_template: bool
) -> list[SFTExample]:
    return [
        encode_example(tokenizer, prompt, answer, max_length, use_chat_template)
        for prompt, answer in zip(prompts, answers, strict=True)
    ]


@torch.no_grad()
def _logits(model, tokenizer, examples: list[SFTExample], batch_size: int) -> Iterator[tuple[int, torch.Tensor]]:
    """(index, logits of that example without its padding) for every example, in batches of similar length."""
    device = next(model.parameters()).device
    order = sorted(range(len(examples)), key=lambda i: len(examples[i].input_ids))
    for chunk in _chunks(order, batch_size):
        batch = {k: v.to(device) for k, v in collate([examples[i] for i in chunk], tokenizer.pad_token_id).items()}
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        for row, index in enumerate(chunk):
            yield index, logits[row, : len(examples[index].input_ids)]


def _answer_log_likelihood(logits: torch.Tensor, example: SFTExample) -> float:
    """Sum of log p(token) over the supervised tokens (the answer and its EOS), as training supervises them."""
    labels = torch.tensor(example.labels[1:], device=logits.device)
    picked = torch.log_softmax(logits[:-1].float(), dim=-1).gather(-1, labels.clamp_min(0)[:, None])[:, 0]
    return float((picked * (labels != IGNORE_INDEX)).sum())


def single_token_choice(candidates: list[SFTExample]) -> tuple[int, list[int]] | None:
    """Where the four completed answers differ, when that is one supervised token each: (position, their ids)."""
    ids = [c.input_ids for c in candidates]
    if len({len(i) for i in ids}) != 1:
        return None
    differ = [t for t in range(len(ids[0])) if len({i[t] for i in ids}) > 1]
    if len(differ) != 1 or candidates[0].labels[differ[0]] == IGNORE_INDEX:
        return None
    return differ[0], [i[differ[0]] for i in ids]


def score_probabilities(
    model,
    tokenizer,
    prompts: list[str],
    rationales: list[str],
    max_length: int,
    use_chat_template: bool,
    batch_size: int = 32,
) -> torch.Tensor:
    """(N, 4) probabilities of scores 0-3 given each prompt and the body of its generated rationale.

    Where each score is one token after a shared `... Score:` (every tokenizer we ship), they are the model's
    next-token probabilities there, renormalized over the four: one forward pass per rationale. Otherwise each
    completed answer's whole likelihood is compared, four passes."""
    bodies = [rationale_body(text) for text in rationales]
    candidates = [
        _examples(
            tokenizer,
            [prompt] * len(SCORES),
            [with_score(body, score) for score in SCORES],
            max_length,
            use_chat_template,
        )
        for prompt, body in zip(prompts, bodies, strict=True)
    ]
    choices = [single_token_choice(four) for four in candidates]
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


def prompt_room(max_length: int, max_new_tokens: int) -> int:
    """How many tokens a generation prompt may have: what `max_new_tokens` leaves of `max_length`."""
    if max_new_tokens >= max_length:
        raise ValueError(
            f"max_new_tokens ({max_new_tokens}) leaves no room for a prompt within max_length ({max_length})"
        )
    return max_length - max_new_tokens


def generation_prompt(
    tokenizer, prompt: str, max_length: int, max_new_tokens: int, use_chat_template: bool
) -> list[int]:
    """The tokens a rationale is generated from: `prompt`, cut so that it and `max_new_tokens` fit in `max_length`."""
    return encode_prompt(tokenizer, prompt, use_chat_template, max_length=prompt_room(max_length, max_new_tokens))


@dataclass(frozen=True)
class GenerationSettings:
    """How rationales are generated: the token budgets, the prompt format, how many prompts run together and
    whether the numbers they cite and their grade words are grounded in the measured parameters
    (`agir.models.grounding`)."""

    max_new_tokens: int
    max_length: int  # prompt and answer together
    use_chat_template: bool = True
    batch_size: int = 32
    grounded_numbers: bool = False
    grounded_grades: bool = False


def prompt_cuts(tokenizer, prompts: list[str], settings: GenerationSettings) -> list[int]:
    """How many tokens `generation_prompt` cuts from each prompt (0 where it fits), so that no cut goes unreported."""
    room = prompt_room(settings.max_length, settings.max_new_tokens)
    return [max(0, len(encode_prompt(tokenizer, p, settings.use_chat_template)) - room) for p in prompts]


def rationales_and_probabilities(
    model,
    tokenizer,
    prompts: list[str],
    *,
    settings: GenerationSettings,
    parameters: Sequence[Mapping] | None = None,
) -> tuple[list[str], torch.Tensor, list[int]]:
    """Greedy rationales for prompt texts (grounded in `parameters`, one mapping per prompt, as `settings` says:
    the numbers they cite with `grounded_numbers`, their grade words with `grounded_grades`), given each the
    (N, 4) probabilities of scores 0-3 (read during generation after the rationale's last `Score:`, or from
    `score_probabilities` where they could not be read there), and how many times each rationale was decoded again
    where it began to repeat itself (`generate`)."""
    grounded = settings.grounded_numbers or settings.grounded_grades
    if grounded and parameters is None:
        raise ValueError("grounded generation needs the measured parameters of each prompt")
    prompt_ids = [
        generation_prompt(tokenizer, prompt, settings.max_length, settings.max_new_tokens, settings.use_chat_template)
        for prompt in prompts
    ]
    generations = generate(
        model,
        tokenizer,
        prompt_ids,
        settings.max_new_tokens,
        settings.batch_size,
        parameters if grounded else None,
        read_scores=True,
        grounded_numbers=settings.grounded_numbers,
        grounded_grades=settings.grounded_grades,
    )
    rationales = [g.text for g in generations]
    log_probabilities = torch.zeros(len(prompts), len(SCORES), dtype=torch.float64)
    unread = [i for i, g in enumerate(generations) if g.score_log_probabilities is None]
    for i, g in enumerate(generations):
        if g.score_log_probabilities is not None:
            log_probabilities[i] = g.score_log_probabilities
    probabilities = F.softmax(log_probabilities, dim=-1)
    if unread:
        probabilities[unread] = score_probabilities(
            model,
            tokenizer,
            [prompts[i] for i in unread],
            [rationales[i] for i in unread],
            settings.max_length,
            settings.use_chat_template,
            settings.batch_size,
        )
    return rationales, probabilities, [g.redecoded for g in generations]
