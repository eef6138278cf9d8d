"""ROS plumbing shared by the nodes and the evaluation observers: QoS profiles (the graph's contract) and
the node process lifecycle, message type names. No node lives here."""
