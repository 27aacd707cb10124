"""What Piper is given to read (issue 15): the word "a" in its strong form, so it is not heard as
"the" or lost."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def joe():
    import coach  # noqa: F401  (telemetry off before onnxruntime loads)
    from coach.speech.piper_voice import PiperVoice, bundled_model

    return PiperVoice(bundled_model())


def _words(phonemes: list[str]) -> list[str]:
    return "".join(phonemes).replace(",", " ").replace(".", " ").split()


def test_the_article_a_is_read_in_its_strong_form_and_other_words_are_not_changed(joe):
    from coach.speech.piper_voice import strong_a

    (plain,) = joe._voice.phonemize("A model, an idea: describe a time you changed a plan.")
    read = strong_a(plain)
    words, before = _words(read), _words(plain)
    assert words.count("eɪ") == 3 and "ɐ" not in words, words
    # Only the lone "a" changes: "an" and the reduced vowels inside words stay as espeak-ng reads them.
    assert [w for w in words if w != "eɪ"] == [w for w in before if w != "ɐ"]
    assert "ɐn" in words


def test_pieces_feed_piper_the_strong_a(joe, monkeypatch):
    """What goes into the voice model, seen on the way in (the real model still speaks it)."""
    fed: list[list[str]] = []
    real = joe._voice.phonemes_to_ids

    def seen(phonemes):
        fed.append(list(phonemes))
        return real(phonemes)

    monkeypatch.setattr(joe._voice, "phonemes_to_ids", seen)
    audio = list(joe.pieces("Describe a time you changed a plan."))
    assert audio and all(part.size for part in audio)
    words = [w for phonemes in fed for w in _words(phonemes)]
    assert words.count("eɪ") == 2 and "ɐ" not in words, words
