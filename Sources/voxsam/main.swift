import VoxSAMCLI

VoxSAMCommand.runMain()
