"""What `agir.fit`, `agir.assess` and `agir.evaluate` run: stages, runs, assessment, cross-validation, reports."""
