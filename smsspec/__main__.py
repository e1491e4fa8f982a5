from smsspec.cli import main

main()
