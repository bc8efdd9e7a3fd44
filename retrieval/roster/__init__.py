"""Creator rosters: the ``Creator`` model, column mapping, and loading roster files."""
