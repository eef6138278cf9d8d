"""Structural plasticity: duplicate copies, pruning and recycling under a synapse budget, neurogenesis."""
