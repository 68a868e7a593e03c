from vision_r1_plugins.cli.app import main

main()
