"""A demo corpus with planted truth: `python -m ecoute.demo.corpus OUT_DIR` or `corpus.generate`."""
