"""Stored-query request parsing shared by the registry and the validators.

ITI TF-2a 3.18.4.1.2.3: parameter names, value syntax and the request parser.
"""
