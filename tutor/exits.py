"""The command's exit statuses, one meaning each, for scripts and graders that call it."""

EXIT_CORRECT, EXIT_INCORRECT, EXIT_INVALID, EXIT_INTERNAL = 0, 1, 2, 3
