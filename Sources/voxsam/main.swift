import VoxSAMCLI
import VoxSAMModel

// OpenBLAS picks its kernels when it loads; on CPUs it does not recognise it falls back to slow
// ones unless OPENBLAS_CORETYPE is set — so set it and re-exec once, before any work.
OpenBLASRuntime.ensureCoreTypeOrReexec()
VoxSAMCommand.runMain()
