"""Reading user files with clean errors; writing results atomically (temp file + fsync + rename),
so a failed or killed run never leaves a partial file."""
from __future__ import annotations

import os
import re
import signal
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import OasisError

if TYPE_CHECKING:  # pandas/xarray are imported where used: file readers stay light
    import pandas as pd
    import xarray as xr

RESULT_FORMATS = (".csv", ".parquet")


def read_text_file(path: Path | str, *, what: str = "file", max_bytes: int | None = None,
                   error: type[OasisError] = OasisError) -> str:
    """The UTF-8 text of a user-supplied file, or ``error`` with a one-line reason: file not found,
    a directory, unreadable, larger than ``max_bytes``, not UTF-8 text (line of the first bad byte),
    NUL bytes (binary). A leading UTF-8 byte-order mark is dropped."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            raw = fh.read() if max_bytes is None else fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise error(f"{path}: file not found") from None
    except IsADirectoryError:
        raise error(f"{path}: is a directory, not a {what}") from None
    except OSError as exc:
        raise error(f"{path}: cannot read the {what} ({exc.strerror or type(exc).__name__})") from None
    if max_bytes is not None and len(raw) > max_bytes:
        raise error(f"{path}: larger than {max_bytes // 1024} KiB; not a {what}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise error(f"{path}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the {what} as UTF-8") from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise error(f"{path}:{line}: NUL byte; a binary file, not a {what}")
    return text[1:] if text.startswith("\ufeff") else text


def results_frame(ds: xr.Dataset, sample: int = 0) -> pd.DataFrame:
    """Wide table of one sample: index time, one column per variable (``var[region]`` if subscripted)."""
    import pandas as pd
    columns = {}
    for name, da in ds.data_vars.items():
        da = da.isel(sample=sample) if "sample" in da.dims else da
        extra = [d for d in da.dims if d != "time"]
        if not extra:
            columns[name] = da.values
            continue
        stacked = da.stack(_cell=extra).transpose("time", "_cell")
        for j, cell in enumerate(stacked["_cell"].values):
            label = ",".join(cell) if isinstance(cell, tuple) else str(cell)
            columns[f"{name}[{label}]"] = stacked.values[:, j]
    return pd.DataFrame(columns, index=pd.Index(ds["time"].values, name="time"))


_TMP_RE = re.compile(r"^\.(?P<name>.+)\.(?P<pid>[0-9]+)\.[^.]+\.tmp$")


def _umask() -> int:
    """The process umask (read without changing it where the OS allows)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    old = os.umask(0o022)
    os.umask(old)
    return old


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale_temps(path: Path) -> None:
    """Temp files of earlier writes to ``path`` whose process is gone (killed with SIGKILL, power
    loss): ``.<name>.<pid>.<random>.tmp``. Files of live processes are left alone."""
    try:
        entries = list(path.parent.glob(f".{path.name}.*.tmp"))
    except OSError:
        return
    for entry in entries:
        m = _TMP_RE.match(entry.name)
        if m and m["name"] == path.name and int(m["pid"]) != os.getpid() and not _pid_alive(int(m["pid"])):
            entry.unlink(missing_ok=True)


def _fsync_path(path: Path | str, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0))
    try:
        os.fsync(fd)
    except OSError:
        if not directory:  # some file systems refuse fsync on directories; the data is synced
            raise
    finally:
        os.close(fd)


class _TerminateAsExit:
    """While active (main thread only), SIGTERM raises SystemExit, so that the temp file is removed
    by the ``except`` below instead of being left behind by the default handler. SIGKILL cannot be
    caught: its temp file is removed by the next write to the same path (:func:`_remove_stale_temps`)."""

    def __enter__(self):
        self._old = None
        if threading.current_thread() is threading.main_thread():
            try:
                if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
                    self._old = signal.signal(signal.SIGTERM, self._raise)
            except (ValueError, OSError, AttributeError):
                self._old = None
        return self

    @staticmethod
    def _raise(signum, frame):
        raise SystemExit(128 + signum)

    def __exit__(self, *exc):
        if self._old is not None:
            signal.signal(signal.SIGTERM, self._old)
        return False


def atomic_write(path: Path | str, write, *, make_parents: bool = False) -> Path:
    """Call ``write(tmp_path)``, fsync, then rename onto ``path`` (and fsync the folder).

    THE atomic writer of the project (results, calibration, baseline, the engine cache, the
    sensitivity store, the calibration build scripts): a reader sees the complete old file or
    the complete new one, never a partial file. ``make_parents`` creates a missing folder;
    otherwise a missing folder is an :class:`OasisError`.

    The temp file is removed on any failure, on SIGTERM, and (after SIGKILL) by the next write to
    the same path. The result gets the permissions a plain ``open()`` would give (0666 minus the
    umask), not ``mkstemp``'s 0600."""
    path = Path(path)
    if make_parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    if not path.parent.exists():
        raise OasisError(f"output folder does not exist: {path.parent}")
    _remove_stale_temps(path)
    with _TerminateAsExit():
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
        try:
            try:
                os.fchmod(fd, 0o666 & ~_umask())
            finally:
                os.close(fd)
            write(Path(tmp))
            _fsync_path(tmp)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    try:
        _fsync_path(path.parent, directory=True)
    except OSError:
        pass
    return path


def atomic_write_bytes(path: Path | str, data: bytes, *, make_parents: bool = False) -> Path:
    """:func:`atomic_write` of ``data``."""
    return atomic_write(path, lambda tmp: tmp.write_bytes(data), make_parents=make_parents)


def atomic_write_text(path: Path | str, text: str, *, make_parents: bool = False, encoding: str = "utf-8") -> Path:
    """:func:`atomic_write` of ``text`` (no newline translation: the bytes are ``text.encode()``)."""
    return atomic_write_bytes(path, text.encode(encoding), make_parents=make_parents)


def check_results_path(path: Path | str) -> Path:
    """A usable results path: .csv/.parquet, in an existing folder, not a directory."""
    path = Path(path)
    if path.suffix not in RESULT_FORMATS:
        raise OasisError(f"--out {path}: use a .csv or .parquet file name")
    if path.is_dir():
        raise OasisError(f"--out {path}: is a directory; give a file name")
    if not path.parent.is_dir():
        raise OasisError(f"--out {path}: output folder does not exist: {path.parent}")
    return path


def write_results(ds: xr.Dataset, path: Path | str) -> Path:
    """Write the full results of one run as CSV or Parquet (by extension), atomically."""
    path = check_results_path(path)
    frame = results_frame(ds)
    if path.suffix == ".csv":
        return atomic_write(path, lambda tmp: frame.to_csv(tmp))
    return atomic_write(path, lambda tmp: frame.to_parquet(tmp))
