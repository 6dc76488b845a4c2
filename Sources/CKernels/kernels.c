#include "CKernels.h"
int vk_placeholder(void) { return 0; }
