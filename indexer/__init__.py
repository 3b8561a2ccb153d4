"""Ingest → analyze → index: everything that turns source files into the Whoosh index."""
