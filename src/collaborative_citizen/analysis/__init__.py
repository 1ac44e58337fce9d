"""Stage 2, the analysis: weighted estimates, their uncertainty, the tables and the changes between waves."""
