"""Alembic environment of the FHIR facade's tables (run through ``beeldportaal init``)."""

from xds_common.migrations import run_online

run_online("alembic_version_fhir")
