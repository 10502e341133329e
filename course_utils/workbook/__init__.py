"""The instructor's tooling: run notebooks (``runner``), write them back clean (``nbclean``),
keep their setup cells in step (``cells``), check re-runs against the committed outputs
(``validation``, ``seeds``) and measure what each model costs (``bench``, with Keras's masked
layers in ``masked_reference`` as the yardstick). Students never need it."""
