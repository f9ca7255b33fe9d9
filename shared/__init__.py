"""Translation Autopilot's application library: everything `function_app.py` wires to the Functions bindings."""
