"""The recommendation science: interaction data, baseline models, the blend and the training
pipeline that turns a shop's events into the serving arrays. Pure numpy/scipy, no Django."""
