// Placeholder: filled in by the PC/SC work.
