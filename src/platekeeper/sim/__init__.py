"""The simulated national camera network: synthetic plates, vehicles, scenes and
video for the demo, the load tests and the recognition tests."""
