"""Alembic migrations of the FHIR facade's own tables (see ``xds_common.migrations``)."""
