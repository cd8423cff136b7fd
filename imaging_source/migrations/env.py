"""Alembic environment of the imaging source's tables (run through ``beeldportaal init``)."""

from xds_common.migrations import run_online

run_online("alembic_version_imaging")
