import VoxSAMCLI
import VoxSAMModel

// OpenBLAS picks its kernels when it loads; on CPUs it does not recognise it falls back to slow
// ones unless OPENBLAS_CORETYPE is set — so the commands that run the model set it and re-exec
// once, before any work (the others never call OpenBLAS and are spared the second start).
if VoxSAMCommand.runsModel(CommandLine.arguments) { OpenBLASRuntime.ensureCoreTypeOrReexec() }
VoxSAMCommand.runMain()
