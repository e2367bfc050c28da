"""Data: corpus building, subject-wise splits and the one GaitDataModule."""
