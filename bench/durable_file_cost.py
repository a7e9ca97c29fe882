#!/usr/bin/env python3
"""What one durable Maildir file costs this machine's kernel, with no mail server at all.

Writes N files of S octets the way a Maildir delivery does (create in tmp/, write, fsync,
rename into new/, and an fsync of new/ shared by every B files, as a group commit shares
it) and prints the CPU time the process spent per file, in user space and in the kernel.
Every server in bench/compare.py pays at least this for each copy it delivers, so it is
a floor under their "CPU s / 1,000 msgs" that no server design removes.

    python3 bench/durable_file_cost.py                  # 5000 files of 4 KiB, 3 runs, in /tmp
    python3 bench/durable_file_cost.py --files 2000 --size 102400 --batch 50 --runs 5

The files live in a fresh folder under --dir, removed after each run. Standard library only.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import resource
import shutil
import tempfile
import time


AT_FDCWD, AT_SYMLINK_FOLLOW = -100, 0x400


def link_descriptor(descriptor: int, path: str) -> None:
    """Gives the open, nameless file `descriptor` the name `path`: linkat(2) of its
    /proc/self/fd entry with AT_SYMLINK_FOLLOW (os.link calls link(2), which cannot)."""
    libc = ctypes.CDLL(None, use_errno=True)
    source = f"/proc/self/fd/{descriptor}".encode()
    if libc.linkat(AT_FDCWD, source, AT_FDCWD, path.encode(), AT_SYMLINK_FOLLOW) != 0:
        error = ctypes.get_errno()
        raise OSError(error, os.strerror(error), path)


def one_run(parent: str, files: int, size: int, batch: int, sync_files: bool,
            anonymous: bool = False) -> tuple[float, float, float]:
    """Seconds of wall, user and system time per file, for one run.  `anonymous`: each file
    is made without a name in new/ (O_TMPFILE) and linked there once synced, instead of
    going through tmp/ and a rename."""
    root = tempfile.mkdtemp(prefix="tern-durable-", dir=parent)
    try:
        for folder in ("tmp", "new"):
            os.mkdir(os.path.join(root, folder), 0o700)
        data = b"x" * size
        new = os.open(os.path.join(root, "new"), os.O_RDONLY | os.O_DIRECTORY)
        before, started = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
        try:
            for number in range(files):
                final = os.path.join(root, "new", f"m{number}")
                temporary = os.path.join(root, "tmp", f"m{number}")
                if anonymous:
                    descriptor = os.open(os.path.join(root, "new"), os.O_WRONLY | os.O_TMPFILE, 0o600)
                else:
                    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                try:
                    os.write(descriptor, data)
                    if sync_files:
                        os.fsync(descriptor)
                    if anonymous:
                        link_descriptor(descriptor, final)
                finally:
                    os.close(descriptor)
                if not anonymous:
                    os.rename(temporary, final)
                if number % batch == batch - 1 or number == files - 1:
                    os.fsync(new)
        finally:
            os.close(new)
        after, ended = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
        return ((ended - started) / files, (after.ru_utime - before.ru_utime) / files,
                (after.ru_stime - before.ru_stime) / files)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=5000, help="files per run (5000)")
    parser.add_argument("--size", type=int, default=4096, help="octets per file (4096)")
    parser.add_argument("--batch", type=int, default=20, help="files per fsync of new/ (20)")
    parser.add_argument("--runs", type=int, default=3, help="runs (3)")
    parser.add_argument("--dir", default=tempfile.gettempdir(), help="where the folders are made (/tmp)")
    parser.add_argument("--no-fsync", action="store_true", help="skip each file's fsync (not durable)")
    parser.add_argument("--anonymous", action="store_true",
                        help="make each file nameless in new/ (O_TMPFILE) and link it there, instead of tmp/ and rename")
    args = parser.parse_args()
    if min(args.files, args.size, args.batch, args.runs) < 1:
        parser.error("--files, --size, --batch and --runs must be at least 1")
    print(f"{args.files} files of {args.size} octets in {args.dir}, new/ fsynced every {args.batch}"
          f"{', files not fsynced' if args.no_fsync else ''}"
          f"{', made with O_TMPFILE and linked into new/' if args.anonymous else ''}")
    print("run | wall ms/file | user ms/file | kernel ms/file | CPU s / 1,000 files")
    for run in range(1, args.runs + 1):
        wall, user, system = one_run(args.dir, args.files, args.size, args.batch, not args.no_fsync, args.anonymous)
        print(f"{run} | {wall * 1000:.3f} | {user * 1000:.3f} | {system * 1000:.3f} | {(user + system) * 1000:.2f}")


if __name__ == "__main__":
    main()
