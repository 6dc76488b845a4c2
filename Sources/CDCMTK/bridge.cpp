#include "CDCMTK.h"
extern "C" int vxd_placeholder(void) { return 0; }
