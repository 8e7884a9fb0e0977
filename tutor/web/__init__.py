"""The tutor in a web browser (`chain-tutor serve`, tutor.web.serve): textual-serve runs a
web server, and every browser tab starts its own tutor process. origin.py says which pages
may open a session, limits.py how many sessions and connections the server holds."""
