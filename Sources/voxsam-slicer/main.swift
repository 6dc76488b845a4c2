import VoxSAMCLI
import VoxSAMModel

// Slicer asks for `--xml` with a 5 s limit at start-up: answered without loading anything. A run
// sets OpenBLAS's kernels for this CPU first (one re-exec), as `voxsam segment` does.
if !CommandLine.arguments.contains("--xml") { OpenBLASRuntime.ensureCoreTypeOrReexec() }
SlicerModuleCommand.runSlicerMain()
