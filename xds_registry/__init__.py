"""XDS.b Document Registry: ITI-42, ITI-18, ITI-57, ITI-62 and the patient identity feed."""
