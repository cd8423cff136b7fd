"""ITI-18 Registry Stored Query (ITI TF-2a 3.18): finders and the response.

Requests are parsed by ``xds_common.query`` (shared with ``beeldportaal validate``).
"""
