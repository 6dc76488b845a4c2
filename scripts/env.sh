# Sourced by the scripts: picks the OpenBLAS kernels for this CPU. OpenBLAS 0.3.21 does not
# recognise recent CPUs and silently falls back to slow Prescott kernels unless told.
if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
  if grep -q avx512f /proc/cpuinfo 2>/dev/null; then export OPENBLAS_CORETYPE=SkylakeX
  elif grep -q avx2 /proc/cpuinfo 2>/dev/null; then export OPENBLAS_CORETYPE=Haswell
  fi
fi
