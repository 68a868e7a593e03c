"""Empty in a checkout. A wheel build (setup.py) copies the repository's examples/ and data/ in here, where
:mod:`vision_r1_plugins.core.resources` reads them when there is no checkout."""
