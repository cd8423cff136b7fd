"""Study completeness and XDS-I.b publication: the KOS manifest and RAD-68.

* :mod:`.model` - what a manifest is built from (index rows as plain values).
* :mod:`.kos` - pure: the Key Object Selection Document (highdicom) of one study.
* :mod:`.metadata` - pure: the RAD-68 SubmitObjectsRequest (XDS-I.b DocumentEntry, RPLC).
* :mod:`.source` - reads a study's manifest input from the instance index.
* :mod:`.state` - publication state in the database: claims, results, backoff.
* :mod:`.publisher` - one publication: build, send RAD-68 (ITI-41), record.
* :mod:`.scheduler` - the background thread that publishes complete studies.
* :mod:`.routes` - ``POST /imaging/studies/{uid}/publish`` and ``GET …/publication``.
"""
