"""The model: SimPy actors (licensing authority, suppliers, lanes, fabs, perceived risk, timeline)
and their wiring (`world`). Imports only `simulator.config`."""
