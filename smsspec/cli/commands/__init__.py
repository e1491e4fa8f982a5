"""One module per command: parse the options, call one function of a stage, print the result."""
