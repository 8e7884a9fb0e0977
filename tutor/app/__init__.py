"""The Textual TUI: the lesson picker, the lesson screen, the summary, help.

Everything here drives the core (tutor.engine, tutor.lessons, tutor.progress)
and nothing in the core imports it.
"""
