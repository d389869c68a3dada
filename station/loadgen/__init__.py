"""The load generator: K stations as OS processes against one central database, each with
a simulated grader. An entry point: nothing else in the core imports it.
"""
