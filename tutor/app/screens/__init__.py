"""The app's screens: picker, lesson (with its intro), summary, help, confirmation, too small."""
