"""The FHIR facade's own storage: the Patient resources of the FHIR patient identity feed."""
