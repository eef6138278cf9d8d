"""ROS-free numerical core of hebbian_ros: everything the nodes compute, without rclpy.

Subpackages by concept, each below the next in the order a signal travels:

- :mod:`~.sensing`: images and taxels to firing rates (receptive fields, habituation, the retina).
- :mod:`~.plasticity`: the local learning rules (Hebb, Oja/Sanger, BCM, competitive, STDP), weight
  bounds, rate coding and the gated :class:`~.plasticity.layer.Layer` that runs any of them.
- :mod:`~.memory`: pattern memory (recognition, novelty, storage).
- :mod:`~.structure`: structural plasticity of memory (duplicate copies, pruning, neurogenesis).
- :mod:`~.neuromodulation`: novelty accumulation, learning mode, a-ha and replays.

Shared modules: :mod:`~.validation` (input checks), :mod:`~.checkpoint` (atomic ``.npz`` files),
:mod:`~.visualization` (rates to images for rviz), :mod:`~.loop` (the graph's wiring in one process).
Nothing here imports ROS.
"""
