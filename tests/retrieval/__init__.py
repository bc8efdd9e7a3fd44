"""Tests of the retrieval library, module by module."""
