"""Evaluate a run of the learning loop: what was recorded, the summary figures and the report plots (ROS-free)."""
