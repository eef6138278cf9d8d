"""Start the hebbian_ros node graph without launch_ros: supervised processes or one process.

The graph itself is data, ``config/graph.yaml``, read here and by ``launch/hebbian.launch.py``.
"""
