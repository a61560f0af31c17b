"""The chaos suite: seeded faults on a compose cluster while a client writes through the
VIP, with the checks that must hold after every fault (see docs/chaos.md)."""
