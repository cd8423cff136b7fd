"""XDS-I.b Imaging Document Source: DICOM ingest (C-STORE, STOW-RS, DICOMDIR) and the index.

Instances arrive as DICOM Part 10 files (PS3.10 7) or C-STORE datasets (PS3.4 B, PS3.7 9.1.1),
are stored byte for byte as received, and are indexed (patient / study / series / instance)
with their DICOM JSON metadata (PS3.18 F.2) precomputed, so QIDO-RS, WADO-RS metadata and the
manifest builder never open the files.
"""
