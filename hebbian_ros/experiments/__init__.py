"""Learners and stimuli used by the benchmarks only (not on any node's path)."""
