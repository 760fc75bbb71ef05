"""``bakegen bench``: compare the speed and size of Python images with pyperformance benchmarks.

- ``benchmarks``: the benchmark table (``bakegen bench --list``) and the pyperf/pyperformance versions;
- ``request``: what a run is asked for, and the checks that need no engine;
- ``runner``: the run (engine checks, sizes, containers, rounds, clean-up);
- ``workload``: what runs inside the containers (pyperformance under pyperf);
- ``containers``: the container backend on Docker, and image sizes;
- ``stats``, ``results``: the measurements and their summary;
- ``report``, ``chart``: ``bench.txt``, ``bench.json`` and ``bench.svg``.
"""
