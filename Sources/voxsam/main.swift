import VoxSAMCLI
VoxSAMCommand.main()
