"""The tutor in a web browser (`chain-tutor serve`, tutor.web.serve): textual-serve runs a
web server, and every browser tab starts its own tutor process."""
