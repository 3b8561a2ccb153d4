"""The data kgsearch works from: language tables (lang/), the gazetteer (places/), how pages show
values (display/), sample pages (sample/).

Installed (``pip install .``) this folder is the package ``kgsearch_data``; indexer/lang.py finds it.
"""
