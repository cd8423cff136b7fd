"""ITI-18 Registry Stored Query (ITI TF-2a 3.18): parameter parsing, finders, response."""
