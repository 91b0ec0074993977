"""Controllers: the console's behaviours (component operations, Helm, the plan, the checklist, incidents).

Each takes the small `Console` protocol (console.py) and never the App: what
they may ask of the console is written down there, and each can be driven by
anything that implements it.
"""
