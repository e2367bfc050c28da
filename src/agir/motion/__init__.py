"""Motion: skeletons, file I/O, features, gait parameters and the synthetic cohort."""
