"""AGIR: assess 3D gait impairment (MDS-UPDRS 3.10) with a motion-token LLM that explains its verdict."""

__version__ = "0.1.0"
