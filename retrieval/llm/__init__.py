"""The optional language model: one checked call, brief reading, explanation wording, and the
model-assisted recommendation that drives them."""
