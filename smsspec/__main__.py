from smsspec.cli.main import main

main()
