"""Demo data: the Shenzhen geography, the synthetic standard address library, noisy address texts and
labelled sequences generated from it, the training of the shipped address parser on that text, and the loader
that puts it all into a database. The outermost layer below the entrypoints: no core context imports it."""
