"""The one exception the converter raises for bad input; the CLI prints it as a single line."""


class ConversionError(Exception):
    """A checkpoint the converter cannot turn into a .cbk; the message names the key/field at fault."""
