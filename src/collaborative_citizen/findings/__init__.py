"""Stage 3, the findings: what each finding notebook computes, draws and says."""
