"""Stage 1, the inputs: the codebook, each wave's wave.yml and respondent file, read, checked and prepared."""
