"""ebRIM 3.0 reader and writer: the only code that knows slot names and scheme UUIDs."""
