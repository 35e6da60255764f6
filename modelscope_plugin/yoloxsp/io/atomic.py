"""Write a file or folder under a temporary name beside it, then rename it into place.

A crash, a kill or Ctrl-C mid-write then never leaves half a file under the real name, and an
earlier file of that name stays intact until the new one is complete. The temporary name is
unique (``<stem>.partial-<host>-<pid>-<random><suffix>``), so two processes writing the same
target do not write into each other's file, and it keeps the target's suffix, so writers that pick
the format from the name (matplotlib, OpenCV, tifffile) write the right one. Nothing is created at
the temporary path: the writer creates the file (with the usual permissions) or the folder.

A writer killed outright (SIGKILL, the machine's out-of-memory killer) cannot remove its
temporary file; the next successful write of the same target does, once no process of that
number runs on this machine. The host goes into the name because a shared network folder can be
written from several machines, where a process number means nothing: only a partial of this
host is ever removed.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import uuid
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..errors import PathLike

TEMPORARY_TAG = ".partial-"  # in every temporary name


def _host_tag() -> str:
    return f"{zlib.crc32(socket.gethostname().encode()):08x}"


def _is_running(pid: int) -> bool:
    """Whether a process numbered ``pid`` runs on this machine (one of another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class AtomicPath:
    """A temporary path for ``target``: write there, then :meth:`commit` or :meth:`discard`.

    For writers that decide late whether to publish (an overlay kept after Ctrl-C) or publish
    early and keep writing (a table appended to after its first frame, through an open handle,
    which follows the rename on POSIX). Otherwise use :func:`atomic_path`.
    """

    def __init__(self, target: PathLike):
        self.target = Path(target)
        self.path = self.target.with_name(
            f"{self.target.stem}{TEMPORARY_TAG}{_host_tag()}-{os.getpid()}-{uuid.uuid4().hex[:8]}{self.target.suffix}")

    def commit(self) -> Path:
        """Put what was written at :attr:`path` under the target's name, replacing what was
        there (a folder too: the old one is moved aside first and deleted after); returns the target."""
        if self.path.is_dir() and self.target.is_dir() and not self.target.is_symlink():
            retired = AtomicPath(self.target).path
            os.replace(self.target, retired)
            try:
                os.replace(self.path, self.target)
            except BaseException:
                os.replace(retired, self.target)
                raise
            shutil.rmtree(retired)
        else:
            os.replace(self.path, self.target)
        remove_abandoned(self.target)
        return self.target

    def discard(self) -> None:
        """Remove whatever was written at :attr:`path` (nothing there is fine)."""
        if self.path.is_dir() and not self.path.is_symlink():
            shutil.rmtree(self.path, ignore_errors=True)
        else:
            self.path.unlink(missing_ok=True)


def remove_abandoned(target: PathLike) -> None:
    """Remove the temporary files and folders of ``target`` left by writers of this host that no
    longer run (killed before they could clean up)."""
    target = Path(target)
    prefix = f"{target.stem}{TEMPORARY_TAG}{_host_tag()}-"
    for path in target.parent.glob(glob.escape(prefix) + "*" + glob.escape(target.suffix)):
        pid = path.name[len(prefix):].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid() or _is_running(int(pid)):
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


@contextmanager
def atomic_path(target: PathLike) -> Iterator[Path]:
    """Yield a temporary path in ``target``'s folder; on success it replaces ``target``, on any
    exception (Ctrl-C included) it is removed and ``target`` is left as it was.

    >>> with atomic_path(out / "tracks.csv") as partial:  # doctest: +SKIP
    ...     table.to_csv(partial)
    """
    staged = AtomicPath(target)
    try:
        yield staged.path
    except BaseException:
        staged.discard()
        raise
    try:
        staged.commit()
    except BaseException:
        staged.discard()
        raise

