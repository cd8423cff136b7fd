"""IHE knowledge as data: transactions, vocabularies, error codes, stored queries, rule tables.

Nothing in this package performs I/O or imports anything but the standard library
(enforced by import-linter). Every other package looks facts up here instead of
repeating them.
"""
