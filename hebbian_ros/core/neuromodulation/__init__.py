"""Neuromodulation: unpropagated activity accumulates into a learning-mode broadcast, a-ha and replays."""
