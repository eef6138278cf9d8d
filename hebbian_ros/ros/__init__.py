"""ROS plumbing shared by the nodes and the evaluation observers: QoS profiles (the graph's contract) and
the node process lifecycle. No node lives here."""
