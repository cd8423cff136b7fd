"""FHIR R4 facade (``fhir.resources.R4B`` only): MHD Document Recipient and Responder,
ImagingStudy, Patient and the CapabilityStatement, mounted at ``/fhir``.

Like the Mobile Access Gateway pattern, it works through the public XDS transactions
(ITI-18, ITI-41, ITI-43) and DICOMweb (QIDO-RS) of the other components, never by importing them.
"""
