"""The report's building blocks, imported by the ``.qmd`` documents: data loading, Dutch
formatting, sentences, figures with alt texts, tables, the colophon, and escaping of texts."""
