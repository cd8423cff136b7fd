"""The MHD mapping, the only place that knows it (MHD 4.2.3 "XDS on FHIR", ITI TF-2 Appendix Z.9).

Pure functions from FHIR JSON dicts to the XDS domain model (:mod:`xds_common.metadata`) and
back; no I/O. ``values`` holds the shared value conversions (codes, times, identifiers),
``patients`` the Patient reference <-> CX rules, ``to_xds`` the ITI-65 -> ITI-41 translation,
``to_fhir`` DocumentEntry/SubmissionSet/Folder -> DocumentReference/List and ``search`` the
ITI-66/67 -> ITI-18 parameter translation.
"""
