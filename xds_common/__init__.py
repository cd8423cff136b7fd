"""Shared runtime for the XDS components: metadata model, ebRIM, SOAP, XML, errors, db."""
