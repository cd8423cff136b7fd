"""The instance index: patients, studies, series and instances with their DICOM JSON."""
