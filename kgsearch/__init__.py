"""The command line on top of ``indexer/``, ``search/`` and ``web/`` (``kgsearch.cli``, the process
supervisor ``kgsearch.server``, terminal and JSON printing ``kgsearch.output``), and the settings
every layer reads (``kgsearch.settings``, a leaf module).  Importing this package imports nothing."""
