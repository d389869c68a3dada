"""The `returns-station` command line: the entry point (`main`: the top-level parser, running
the chosen command inside one error mapping, opening a station for the app) and one module
per command group, each registering its own subcommands and their handlers
(`station.cli.command` says what a handler gets and whether it needs a station). An entry
point: nothing else in the core imports it (an import-linter contract).
"""
