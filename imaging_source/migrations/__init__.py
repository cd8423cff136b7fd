"""Alembic migrations of the imaging source's tables (see ``xds_common.migrations``)."""
