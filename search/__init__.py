"""Query → rank → highlight: everything that answers a search from the index."""
