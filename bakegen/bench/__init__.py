"""``bakegen bench``: compare the speed and size of Python images with pyperformance benchmarks, or
with ``--threads N`` their throughput on pure-Python work in 1 and N threads.

- ``benchmarks``: the benchmark table (``bakegen bench --list``) and the pyperf/pyperformance versions;
- ``request``: what a run is asked for, and the checks that need no engine;
- ``runner``: the run (engine checks, sizes, containers, rounds, clean-up); ``runner.workload_for``
  picks the workload;
- ``workload``: the ``Workload`` interface, and pyperformance under pyperf;
- ``threads``: the ``--threads`` workload, which runs ``threadwork.py`` (the script copied into the
  containers) in 1 and N threads;
- ``containers``: the container backend on Docker, and image sizes;
- ``stats``, ``results``: the measurements and their summary;
- ``report``, ``threadreport``, ``chart``, ``text``: ``bench.txt``, ``bench.json`` and ``bench.svg``
  (``threadreport``: those of a ``--threads`` run; ``text``: the shared text pieces).
"""
