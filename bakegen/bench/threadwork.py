"""CPU-bound pure-Python work in threads: the workload of ``bakegen bench --threads``.

This file runs inside the benchmarked containers, on their ``python3``, so it uses the standard
library only and keeps to syntax Python 3.9 reads; nothing of bakegen is imported. bakegen copies
it into each container and runs it there (see ``bakegen/bench/threads.py``).

One *unit* of work is one pass of a mix of three kernels, each a different kind of interpreter work:

* ``orbit``: float arithmetic, nbody-like: five bodies under gravity, stepped in time (lists of
  floats, arithmetic, attribute-free inner loops);
* ``words``: dict and str work: words drawn from a small pseudo-random generator are built with
  ``str.join``, counted in a dict, sorted, formatted and transformed with str methods;
* ``trees``: small-object allocation: binary trees of ``__slots__`` instances are built, walked
  and dropped (allocation, ``__init__`` calls, recursion, deallocation and the cyclic GC's
  bookkeeping).

Three kinds, because a free-threaded build pays a different price for each (PEP 703: per-object
locks when dicts and lists are modified, the mimalloc allocator, a garbage collector that stops
all threads), and a mix of them is closer to a program than any one alone.

A run starts T threads that wait on a barrier, then each does the same fixed number of units;
the run's wall-clock time goes from the barrier's release to the last thread's end, so thread
start-up is not counted. The process's CPU time over the same span is reported beside it: divided
by the wall-clock time, it says how many CPUs the run kept busy (about 1 with one thread, or
under a GIL; up to T when T threads run in parallel). The main thread only waits meanwhile, so a
one-thread run that kept less than one CPU busy was held up by other load on the machine.

Each thread builds its own data in every unit and shares no mutable object with the others: what
is measured is the interpreter running T threads at once, not lock contention in the workload.
The shared objects are the module's functions and its one class, which the free-threaded build
keeps out of reference-count contention (immortal in 3.13, deferred reference counting from 3.14;
https://docs.python.org/3.13/howto/free-threading-python.html, "Immortalization"); constants
such as the gravity softening are literals for the same reason, not module globals. Before the
timed runs, one untimed unit per thread warms up the interpreter's caches. Every thread returns a
checksum of its results; they must all match, which shows the work was done and gave the same
answer in every thread.

Usage (output: one JSON object on stdout; ``run`` gives ``seconds`` and ``cpu_seconds`` per run)::

    python3 threadwork.py info
    python3 threadwork.py run --threads T --work UNITS_PER_THREAD --runs RUNS
"""

import argparse
import json
import platform
import sys
import sysconfig
import threading
import time


def orbit(steps):
    """Float arithmetic: ``steps`` semi-implicit Euler steps of five bodies; returns the kinetic energy."""
    # x, y, z, vx, vy, vz, mass
    bodies = [[1.0 * i, 0.5 * i, -0.25 * i, 0.0, 0.1 * i, 0.05 * i, 1.0 + 0.5 * i] for i in range(5)]
    pairs = [(bodies[i], bodies[j]) for i in range(5) for j in range(i + 1, 5)]
    for _ in range(steps):
        for a, b in pairs:
            dx = a[0] - b[0]
            dy = a[1] - b[1]
            dz = a[2] - b[2]
            d2 = dx * dx + dy * dy + dz * dz + 0.01
            mag = 0.001 / (d2 * d2 ** 0.5)
            ma = a[6] * mag
            mb = b[6] * mag
            a[3] -= dx * mb
            a[4] -= dy * mb
            a[5] -= dz * mb
            b[3] += dx * ma
            b[4] += dy * ma
            b[5] += dz * ma
        for body in bodies:
            body[0] += 0.001 * body[3]
            body[1] += 0.001 * body[4]
            body[2] += 0.001 * body[5]
    return sum(0.5 * m * (vx * vx + vy * vy + vz * vz) for _, _, _, vx, vy, vz, m in bodies)


def words(count, seed):
    """dict and str work: ``count`` pseudo-random words counted, sorted and formatted; returns a size."""
    letters = "etaoinshrdlucmfwyp"
    counts = {}
    x = seed
    for _ in range(count):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        word = "".join([letters[(x >> (4 * k)) % 18] for k in range(2 + x % 4)])
        counts[word] = counts.get(word, 0) + 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    summary = ", ".join([f"{word}={n}" for word, n in ranked[:20]])
    title = summary.upper().replace("=", ": ").split(", ")
    return len(counts) + len(title) + sum(len(w) for w in counts if w.startswith("e"))


class Node:
    __slots__ = ("left", "right", "value")

    def __init__(self, left, right, value):
        self.left = left
        self.right = right
        self.value = value


def build(depth, value):
    if depth == 0:
        return Node(None, None, value)
    return Node(build(depth - 1, 2 * value), build(depth - 1, 2 * value + 1), value)


def walk(node):
    if node.left is None:
        return node.value & 7
    return walk(node.left) + walk(node.right) + 1


def trees(depth, count):
    """Small-object allocation: ``count`` trees of ``2**(depth+1) - 1`` nodes built, walked, dropped."""
    return sum(walk(build(depth, i)) for i in range(count))


def unit(seed):
    """One unit of work: one pass of the three kernels; returns their checksum."""
    energy = orbit(60)
    return (round(energy, 9), words(300, seed), trees(7, 4))


def worker(units, barrier, results, index):
    barrier.wait()
    checksum = None
    for _ in range(units):
        checksum = unit(12345)
    results[index] = checksum


def timed_run(n_threads, units):
    """``n_threads`` threads doing ``units`` units each: the wall-clock seconds, the process's CPU seconds
    meanwhile, and the checksum; exits when the threads' checksums differ."""
    barrier = threading.Barrier(n_threads + 1)
    results = [None] * n_threads
    threads = [threading.Thread(target=worker, args=(units, barrier, results, i)) for i in range(n_threads)]
    for t in threads:
        t.start()
    barrier.wait()
    start, cpu_start = time.perf_counter(), time.process_time()
    for t in threads:
        t.join()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    if None in results or len(set(results)) != 1:
        sys.exit(f"threadwork: the threads' checksums differ: {results!r}")
    return seconds, cpu, results[0]


def info():
    """The interpreter: version, and whether it is a free-threaded build with the GIL off."""
    gil_enabled = getattr(sys, "_is_gil_enabled", None)
    disabled = sysconfig.get_config_var("Py_GIL_DISABLED")
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "py_gil_disabled": None if disabled is None else int(disabled),
        "gil_enabled": None if gil_enabled is None else bool(gil_enabled()),
    }


def run(n_threads, units, runs):
    timed_run(n_threads, 1)
    seconds, cpu_seconds = [], []
    checksum = None
    for _ in range(runs):
        elapsed, cpu, checksum = timed_run(n_threads, units)
        seconds.append(elapsed)
        cpu_seconds.append(cpu)
    return {"threads": n_threads, "work": units, "seconds": seconds, "cpu_seconds": cpu_seconds,
            "checksum": repr(checksum)}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="threadwork", description="CPU-bound pure-Python work in threads.")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("info", help="the interpreter's version and GIL state")
    timed = commands.add_parser("run", help="timed runs")
    timed.add_argument("--threads", type=int, required=True)
    timed.add_argument("--work", type=int, required=True, help="units of work per thread and run")
    timed.add_argument("--runs", type=int, required=True)
    args = parser.parse_args(argv)
    if args.command == "info":
        result = info()
    elif args.command == "run":
        if min(args.threads, args.work, args.runs) < 1:
            parser.error("--threads, --work and --runs must be 1 or more")
        result = run(args.threads, args.work, args.runs)
    else:
        parser.error("a command is needed: info or run")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
