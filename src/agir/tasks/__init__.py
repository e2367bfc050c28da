"""The LightningModules of the three stages."""
