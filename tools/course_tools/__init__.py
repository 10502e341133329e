"""The instructor's tooling: run notebooks (``runner``), write them back clean (``nbclean``),
keep their setup cells in step (``cells``), check re-runs against the committed outputs
(``validation``, ``seeds``) and measure what each model costs (``bench``). Students never need it."""
