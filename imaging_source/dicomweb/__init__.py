"""DICOMweb services of the imaging source at ``/dicomweb`` (DICOM PS3.18 chapter 10).

QIDO-RS search (10.6), WADO-RS retrieve (10.4) and STOW-RS store (10.5). Route modules:
:mod:`.qido_routes`, :mod:`.wado_routes`, :mod:`.stow_routes`.
"""
