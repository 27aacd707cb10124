"""What Piper is given to read (issue 15): the word "a" in its strong form, so it is not heard as
"the" or lost, and a past tense's bare /d/ or /t/ held, so "changed" is not heard as "change"."""

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
    assert "tʃˈeɪndʒdd" in words, words


def _held(joe, text: str) -> tuple[list[str], list[str]]:
    from coach.speech.piper_voice import held_past_tense

    (plain,) = joe._voice.phonemize(text)
    return _words(held_past_tense(plain, joe._past_tenses(text))), _words(plain)


def test_a_past_tense_ending_in_a_bare_d_or_t_is_held_and_nothing_else_changes(joe):
    words, before = _held(joe, "The plan changed, so we helped build it, and they agreed and deployed it.")
    assert len(words) == len(before)
    changed = [(b, w) for w, b in zip(words, before) if w != b]
    # After a consonant ("changed", "helped") and after a long vowel ("agreed", "deployed": the
    # /ɪ/ that ends /ɔɪ/ is no short vowel).
    assert changed == [("tʃˈeɪndʒd", "tʃˈeɪndʒdd"), ("hˈɛlpt", "hˈɛlptt"), ("ɐɡɹˈiːd", "ɐɡɹˈiːdd"),
                       ("dᵻplˈɔɪd", "dᵻplˈɔɪdd")], changed


def test_endings_that_are_not_a_bare_past_tense_are_left_as_they_are(joe):
    # "wanted" ends in a syllable of its own; "hundred" is written with -ed but is no past tense;
    # "speed" and "bed" are left out by spelling; "and" and "find" end like a past tense.
    words, before = _held(joe, "We wanted a hundred models at speed and a bed to find.")
    assert words == before
