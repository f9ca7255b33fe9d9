"""Offline development stack: the Document Translation emulator and the tools that run the app locally."""
