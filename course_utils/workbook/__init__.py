"""The instructor's tooling: run notebooks (``runner``), write them back clean (``nbclean``),
keep their setup cells in step (``cells``) and check re-runs against the committed outputs
(``validation``, ``seeds``). Students never need it."""
