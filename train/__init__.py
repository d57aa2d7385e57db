import sys as _sys

if _sys.argv[:1] == ["-m"]:  # python -m train.<job>, while the job loads (imports below)
    import os as _os
    import signal as _signal

    def _stop(signum: int, frame: object) -> None:
        job = next(
            (a for a in getattr(_sys, "orig_argv", [])[1:] if a.startswith("train.")), "train"
        )
        name = _signal.Signals(signum).name
        print(f"{job}: interrupted by {name} while starting; nothing was written", file=_sys.stderr)
        _sys.stderr.flush()
        # _exit, not sys.exit: the signal may land inside an import (NumPy's C modules),
        # where a SystemExit turns into an ImportError and two tracebacks
        _os._exit(128 + signum)

    for _sig in (_signal.SIGINT, _signal.SIGTERM):
        if _signal.getsignal(_sig) is not _signal.SIG_IGN:  # ignored: stays ignored
            _signal.signal(_sig, _stop)

# minigrad before anything imports NumPy: it sets how long NumPy's idle OpenBLAS workers
# spin, which OpenBLAS reads when NumPy loads it (minigrad/_openblas.py)
import minigrad  # noqa: E402, F401
