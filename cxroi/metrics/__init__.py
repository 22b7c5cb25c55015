"""Pure metric functions: counts and arrays in, numbers out. No I/O, no typer, no rich."""
