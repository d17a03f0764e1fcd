"""The pipeline's stages (fetch, clean, weight, estimate, render, export): each reads its inputs
and configuration, calls the pure functions of the other sub-packages and writes its outputs with
a manifest."""
