"""Imported first by omnisim's fork server (:data:`sim.workers.PRELOAD`): the server and
every worker forked from it ignore SIGINT.

Ctrl-C in a terminal reaches the whole process group, the fork server and the workers
included. The fork server ignores SIGINT only once its imports are done (a Ctrl-C in the
first second printed its import traceback) and restores the handlers it found for each
child, so a Dask worker printed a KeyboardInterrupt traceback of its own. Setting SIGINT to
"ignore" here, before anything else is imported and before the server reads its handlers,
leaves Ctrl-C to the command, which stops and kills its workers (:func:`sim.workers.run_all`,
:func:`sim.executors.execute`). SIGTERM and SIGKILL still end any of them.

Importing this module anywhere else does nothing: it acts only in a process started as
multiprocessing's fork server.
"""

from __future__ import annotations

import signal
import sys

#: how multiprocessing starts its fork server (``python -c '<this>; main(...)'``)
FORKSERVER_COMMAND = "from multiprocessing.forkserver import main"


def in_fork_server() -> bool:
    """Whether this process is a multiprocessing fork server."""
    return any(arg.startswith(FORKSERVER_COMMAND) for arg in getattr(sys, "orig_argv", ()))


if in_fork_server():
    signal.signal(signal.SIGINT, signal.SIG_IGN)
