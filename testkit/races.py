"""Run the same work on several threads released at once, to prove a race is handled."""

import threading
from collections.abc import Callable
from contextlib import nullcontext
from typing import TypeVar

from flask import Flask

from intake.extensions import db

T = TypeVar("T")


def at_once(count: int, work: Callable[[int], T], app: Flask | None = None) -> list:
    """Run work(0) … work(count - 1), each on its own thread, all released together.

    With `app`, each runs in an app context of its own (its own database session, removed
    after). Returns, in order, what each returned or the exception it raised: a test asserts
    on both, and a failure in a thread is never lost.
    """
    ready = threading.Barrier(count)
    results: list = [None] * count

    def run(number: int) -> None:
        try:
            with app.app_context() if app is not None else nullcontext():
                ready.wait()
                results[number] = work(number)
                if app is not None:
                    db.session.remove()
        except BaseException as error:  # handed back to the test, which asserts on it
            results[number] = error

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def failures(results: list) -> list[BaseException]:
    """The exceptions among at_once's results."""
    return [result for result in results if isinstance(result, BaseException)]
