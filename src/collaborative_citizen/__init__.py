"""The Collaborative Citizen survey report pipeline."""
