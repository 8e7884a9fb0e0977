"""Lesson-screen widgets: the chain of factors, the forward graph, the values, the preview."""
