"""Native calls that Ctrl-C can interrupt.

Python handles SIGINT only between bytecodes of the main thread, so a long call into native code
(gmsh's mesher, SuperLU's factorisation) delays Ctrl-C until it returns — 15 s to minutes for a
fine mesh. :func:`call` runs such a call in a daemon thread (SuperLU releases the GIL) while the
main thread waits in short slices, so KeyboardInterrupt is raised at once; the abandoned call
finishes in the background and the ``hyperpino`` command exits without waiting for it. gmsh does
not survive that (its thread dies with the signal and the process crashes at exit), so
:func:`in_child` runs it in a forked process instead, killed on Ctrl-C.
"""

from __future__ import annotations

import multiprocessing as mp
import signal
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

def call(fn: Callable[..., T], *args: Any, name: str = "native") -> T:
    """``fn(*args)``, interruptible by Ctrl-C when called from the main thread."""

    def run() -> None:
        if worker is not None:  # the signal is the main thread's to handle, not the library's
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            out["value"] = fn(*args)
        except BaseException as err:  # noqa: BLE001 - handed to the caller below
            out["error"] = err

    out: dict[str, Any] = {}
    worker = None
    if threading.current_thread() is not threading.main_thread():
        run()  # no signals here to wait for
    else:
        worker = threading.Thread(target=run, name=f"hyperpino-{name}", daemon=True)
        worker.start()
        while worker.is_alive():
            worker.join(0.05)
    if "error" in out:
        raise out["error"]
    return out["value"]


def in_child(fn: Callable[..., T], *args: Any, name: str = "native") -> T:
    """``fn(*args)`` in a forked process (result and project errors sent back through a pipe);
    Ctrl-C kills the process at once and raises KeyboardInterrupt here."""
    from hyperpino.errors import HyperpinoError

    ctx = mp.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)

    def child() -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
        try:
            send.send(("ok", fn(*args)))
        except HyperpinoError as err:
            send.send(("project", str(err)))
        except BaseException as err:  # noqa: BLE001 - reported by the parent
            send.send(("internal", f"{type(err).__name__}: {err}"))

    proc = ctx.Process(target=child, name=f"hyperpino-{name}", daemon=True)
    proc.start()
    send.close()
    try:
        while not receive.poll(0.05):
            if not proc.is_alive() and not receive.poll(0):
                raise RuntimeError(f"{name}: the process ended without a result (exit code {proc.exitcode})")
        kind, value = receive.recv()
    except BaseException:
        proc.kill()
        raise
    finally:
        receive.close()
        proc.join()
    if kind == "project":
        raise HyperpinoError(value)
    if kind == "internal":
        raise RuntimeError(f"{name}: {value}")
    return value
