"""Readers turn the bytes of one document into an ExtractionResult; see extraction.extract."""
