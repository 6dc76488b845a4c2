// libpng, simplified png_image_* API only.
#include <png.h>
