"""The VisPlay prompts: one questioner prompt and one reasoner prompt, or the code's five.

Structures follow the reference note §1.1 (questioner) and §1.2 (reasoner prompts (a), (b), (c));
the wording is ours. `consistent` uses the same questioner prompt for training and generation and
the same chain-of-thought reasoner prompt for reward, labelling, training and evaluation. `code`
reproduces the released code's layouts: the questioner's instruction moves from the user turn
(training) to the system turn (generation), and the reasoner answers without reasoning for the
questioner reward (a), with a short CoT prompt for labelling (b) and a third prompt for training
and evaluation (c).
"""

from __future__ import annotations

from typing import Any, Literal

from PIL import Image

from zeroplay.engines.request import ChatRequest, Message, SamplingParams, system_message

from .config import PromptStyle

QuestionerUse = Literal["train", "generate"]
ReasonerUse = Literal["reward", "label", "train"]

QUESTION_TYPES: tuple[str, ...] = ("multiple choice", "numerical", "regression")

_TYPE_LIST = """\
   - multiple choice: a Yes/No question, or a question with four options labelled A, B, C and D
     of which exactly one is correct;
   - numerical: the answer is a single number, such as a count;
   - regression: the answer is a continuous value, such as a measurement, an amount or a
     coordinate."""

_REPLY_FORMAT = """\
<type>multiple choice, numerical or regression</type>
<question>your question</question>
<answer>your answer</answer>"""

_EXAMPLE = """\
<type>numerical</type>
<question>How many bars in the chart are taller than the one labelled 2019?</question>
<answer>3</answer>"""

# One instruction for both uses; the answer is asked for without units, in line with the reasoner.
QUESTIONER_INSTRUCTION = f"""\
You write questions about images. Study the image and write exactly one question about it.

Requirements:
1. Look carefully at the image: its objects, text, numbers, layout and relations.
2. Write exactly one question that can only be answered by looking at this image.
3. Choose exactly one question type:
{_TYPE_LIST}
4. The question must need analysis or reasoning, not just a description of what is visible.
5. Give the correct answer as a bare value, without units.

Reply with exactly these three blocks and nothing else:
{_REPLY_FORMAT}

Example:
{_EXAMPLE}"""

# The code's instruction: same requirements, plus its contradiction (item 5 asks for units, a
# later rule forbids them; note §1.1) and its strict-output rules.
QUESTIONER_INSTRUCTION_CODE = f"""\
You are an intelligent question generator for images.

Requirements:
1. Analyse the image carefully.
2. Generate exactly one question that is directly related to the image.
3. Choose exactly one question type:
{_TYPE_LIST}
4. The question must require analysis or reasoning, not mere description.
5. Provide the correct answer. Include units if applicable.

Output exactly three blocks:
{_REPLY_FORMAT}

Strict rules:
- Do not add any other labels or blocks.
- Do not add explanations or commentary.
- Do not include any units in the answer.

Example:
{_EXAMPLE}"""

# Code-style generation prompt: the instruction above is the system turn; the user turn is the
# image followed by this request.
QUESTIONER_GENERATE_REQUEST_CODE = (
    "Write one new, challenging reasoning question about this image. "
    "Format your reply exactly as instructed."
)

REASONER_PROMPT = (
    "{question}\n\n"
    "Think step by step about the question and the image. Then give the final answer, short and "
    "without units, inside \\boxed{{}}. For a multiple-choice question, box only the option letter "
    "or Yes/No. A response without a boxed answer counts as incorrect."
)

# (a) answer-only prompt of the code's reward server.
REASONER_REWARD_SYSTEM_CODE = (
    "You are a visual question answering assistant. Give only your final answer, inside "
    "\\boxed{}. Do not write any explanation or reasoning."
)
# The doubled braces are literal in the code (the string is not formatted), so the model sees
# "\boxed{{answer}}"; `.format` below turns "{{{{" into "{{".
REASONER_REWARD_USER_CODE = (
    "Here is a question: {question}. The question type is: {question_type}.\n"
    "IMPORTANT: reply only with your answer in the form \\boxed{{{{answer}}}}. "
    "Do not include any units."
)

# (b) chain-of-thought labelling prompt of the code, with an explicit default system turn.
REASONER_LABEL_SYSTEM_CODE = "You are a helpful assistant."
REASONER_LABEL_USER_CODE = (
    "{question}\nThink step by step, and give your final answer inside \\boxed{{}}."
)

# (c) training and evaluation prompt of the code; its "\\boxed{ }" keeps the raw string's literal
# double backslash (note §1.2).
REASONER_TRAIN_USER_CODE = (
    "Reason step by step, carefully, about the question: {question} and the image. When you have "
    "finished reasoning, you MUST write the final, clean and concise answer strictly inside "
    "\\\\boxed{{ }}. The final answer MUST appear inside \\boxed{{}} and nowhere else. A response "
    "without a boxed answer is counted as incorrect."
)


def _text_then_image(text: str) -> Message:
    """A user turn whose text comes before the image (the code's training-time layout)."""
    return {"role": "user", "content": [{"type": "text", "text": text}, {"type": "image"}]}


def _image_then_text(text: str) -> Message:
    """A user turn whose image comes before the text."""
    return {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": text}]}


def questioner_messages(style: PromptStyle, use: QuestionerUse) -> list[Message]:
    """The questioner's chat for one image (one image placeholder)."""
    if style == "consistent":
        return [_text_then_image(QUESTIONER_INSTRUCTION)]
    if use == "train":
        # No system turn: the chat template's default system prompt applies, as in the code.
        return [_text_then_image(QUESTIONER_INSTRUCTION_CODE)]
    return [
        system_message(QUESTIONER_INSTRUCTION_CODE),
        _image_then_text(QUESTIONER_GENERATE_REQUEST_CODE),
    ]


def reasoner_messages(
    question: str, question_type: str, style: PromptStyle, use: ReasonerUse
) -> list[Message]:
    """The reasoner's chat for one question about one image (one image placeholder).

    `use="train"` is also the evaluation prompt. `question_type` only appears in the code's
    answer-only reward prompt (a).
    """
    if style == "consistent":
        return [_text_then_image(REASONER_PROMPT.format(question=question))]
    if use == "reward":
        user = REASONER_REWARD_USER_CODE.format(question=question, question_type=question_type)
        return [system_message(REASONER_REWARD_SYSTEM_CODE), _image_then_text(user)]
    if use == "label":
        user = REASONER_LABEL_USER_CODE.format(question=question)
        return [system_message(REASONER_LABEL_SYSTEM_CODE), _image_then_text(user)]
    return [_text_then_image(REASONER_TRAIN_USER_CODE.format(question=question))]


def questioner_request(
    image: Image.Image,
    style: PromptStyle,
    use: QuestionerUse,
    sampling: SamplingParams,
    meta: dict[str, Any],
) -> ChatRequest:
    """A questioner request for one image."""
    return ChatRequest(
        messages=questioner_messages(style, use),
        images=[image],
        sampling=sampling,
        policy="questioner",
        meta=meta,
    )


def reasoner_request(
    question: str,
    question_type: str,
    image: Image.Image,
    style: PromptStyle,
    use: ReasonerUse,
    sampling: SamplingParams,
    meta: dict[str, Any],
) -> ChatRequest:
    """A reasoner request for one question about one image."""
    return ChatRequest(
        messages=reasoner_messages(question, question_type, style, use),
        images=[image],
        sampling=sampling,
        policy="reasoner",
        meta=meta,
    )
