"""The GPU benchmark harness: `python -m bench.gpu` (issue 8).

It measures, for a matrix of real architectures built from their config.json with random weights,
LocalTune's training loop against a plain transformers.Trainer (+ peft) baseline, and the
estimator's memory and time predictions against what the run used. `--tiny` runs the whole
pipeline on the CPU in seconds, which is what the test suite does so the harness cannot rot.

  cli.py             options, the matrix, the order of work, the output files
  cases.py           one configuration (BenchCase), the matrix, where model configs come from
  synthetic.py       random token rows of exact length, as text the recipe tokenizes back
  localtune_side.py  LocalTune's recipe (train.train) with a random-weights backend
  trainer_side.py    the transformers.Trainer + peft baseline
  estimator.py       `localtune estimate --json` (the TypeScript estimator) per configuration
  environment.py     GPU, versions, the CUDA context and memory outside the allocator
  report.py          CSV rows, derived cells, the markdown table and section

Importing this package imports nothing heavy.
"""
