"""Process-wide concerns shared by the CLI and the TUI: memory tuning and terminal safety."""

from __future__ import annotations

import contextlib
import os
import re
import threading
import unicodedata

# C0 and C1 control characters and DEL (an ESC starts a terminal command: clear the screen, retitle
# the window, ...), and the bidirectional overrides that make text display in another order than
# it reads.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_BREAKS = re.compile(r"[\t\n\r\v\f]+")


def plain_text(text: str) -> str:
    """A typed answer or a question made safe to print and analyse: line breaks and tabs stay,
    every other control character is dropped."""
    return _UNPRINTABLE.sub(lambda m: m.group() if m.group() in "\t\n" else "", text.replace("\r\n", "\n"))


def printable(text: str | None) -> str:
    """User text (a story title, a question from a file, an imported note or error) made safe to
    print on one line: line breaks and tabs become a space, other control and format characters
    (escape sequences, bidi overrides, zero-width marks) are dropped, and runs of spaces are one."""
    if not text:
        return ""
    kept = _UNPRINTABLE.sub("", _BREAKS.sub(" ", text))
    if not kept.isascii():  # every format character (Cf) is outside ASCII: most text skips the scan
        kept = "".join(ch for ch in kept if unicodedata.category(ch) != "Cf")
    return " ".join(kept.split())


def strict_json(data: object) -> str:
    """JSON for stdout: strict (NaN and Infinity are not JSON; readers reject them), non-ASCII kept.

    Raises:
        CoachError: a value is not finite (a bug upstream, said plainly instead of printing bad JSON).
    """
    import json

    from coach.errors import CoachError

    try:
        return json.dumps(data, ensure_ascii=False, allow_nan=False)
    except ValueError as exc:
        raise CoachError(f"The result holds a value that is not a finite number ({exc}); "
                         "please report this as a bug.") from exc


def _glibc():
    """The C library, when it is glibc on Linux (whose malloc these tune); else None."""
    import ctypes
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None  # musl lacks them


def limit_malloc_arenas(arenas: int = 2) -> None:
    """glibc gives every thread that allocates its own heap arena; with a recorder, a live
    transcriber and workers each touching model-sized buffers, the session grew by ~250 MB of
    fragmentation over ten answers (measured: 717 MB with the default, under 500 MB with 2)."""
    libc = _glibc()
    if libc is not None:
        m_arena_max = -8  # from malloc.h
        libc.mallopt(m_arena_max, arenas)


def return_free_memory() -> None:
    """Give the heap's free pages back to the system (glibc's ``malloc_trim``).

    After an answer glibc keeps the pages its buffers used (70-120 MB in a practice session,
    ``benchmarks/practice_session.py --only memory``) for the next allocation; handed back,
    the session's resident memory stays where the models put it. It takes 10-20 ms: call it
    off the UI thread, after the answer's work."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


def freeze_loaded_objects() -> None:
    """Leave the objects alive now (the loaded models' Python side: spaCy's vocabulary, the
    question bank, the encoder's cache) out of every later garbage collection.

    With the models loaded, one full collection walks them all: 0.29-0.33 s, the GIL held, and
    in a practice session it fell inside the stop-to-feedback time of 3 answers in 10
    (``benchmarks/practice_session.py --only memory``). What is garbage now is collected first."""
    import gc

    gc.collect()
    gc.freeze()


def spare_cpu_only() -> None:
    """Lower the calling thread's priority (Linux: a thread is its own task), so its work takes
    only CPU the decoder leaves idle; on two cores the transcription must not wait for it."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
