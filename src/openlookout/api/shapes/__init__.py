"""Wire shapes declared once; they drive parsing, validation, serialisation and the SDK model."""
