"""Fencing: which devices fence a node (``topology``), running fence agents
(``agents``, ``protocol``), the built-in agents for the lab and for containers
(``fence_lab``, ``fence_container``), the fencer that tries the levels (``fencer``), and
self-fencing through a watchdog process (``watchdog``)."""
