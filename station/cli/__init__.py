"""The `returns-station` command line: the entry point (`main`) and one module per command
group. An entry point: nothing else in the core imports it (an import-linter contract).
"""
