"""Test support: local Slack, OpenAI, Chroma and PostgreSQL servers, harnesses, builders."""
