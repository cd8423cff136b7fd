"""ITI-8 Patient Identity Feed (ITI TF-2a 3.8): HL7 v2 ADT over MLLP into the Document Registry.

``adt`` applies one message and builds its acknowledgement (pure logic, no sockets);
``mllp`` is the listener that carries the bytes; ``client`` sends ITI-8 to any registry.
"""
