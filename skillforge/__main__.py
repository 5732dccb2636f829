from skillforge.cli import main

main()
