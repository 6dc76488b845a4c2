// Helpers shared by the DICOM writers: DS formatting, UIDs, dates, saving.
#include "writer_support.hpp"

#include "dcmtk/dcmdata/dcuid.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace vxd {

std::string decimalString(double value) {
    if (!std::isfinite(value)) value = 0;
    if (value == 0) return "0";
    char buffer[40];
    // The most significant digits that fit DS's 16 characters ("%.*g" chooses fixed or exponent).
    for (int precision = 16; precision >= 1; --precision) {
        std::snprintf(buffer, sizeof(buffer), "%.*g", precision, value);
        if (std::strlen(buffer) <= 16) return buffer;
    }
    return "0";
}

std::string decimalStrings(const double *values, size_t count) {
    std::string out;
    for (size_t i = 0; i < count; ++i) {
        if (i > 0) out += '\\';
        out += decimalString(values[i]);
    }
    return out;
}

std::string newUID(const char *root) {
    char buffer[100];
    dcmGenerateUniqueIdentifier(buffer, root);
    return buffer;
}

static std::tm localNow() {
    std::time_t t = std::time(nullptr);
    std::tm out{};
    localtime_r(&t, &out);
    return out;
}

std::string currentDate() {
    std::tm t = localNow();
    char buffer[16];
    std::strftime(buffer, sizeof(buffer), "%Y%m%d", &t);
    return buffer;
}

std::string currentTime() {
    std::tm t = localNow();
    char buffer[16];
    std::strftime(buffer, sizeof(buffer), "%H%M%S", &t);
    return buffer;
}

bool anyNonASCII(std::initializer_list<std::string> values) {
    for (const auto &v : values)
        for (unsigned char c : v)
            if (c >= 0x80) return true;
    return false;
}

vxd_status saveDataset(DcmFileFormat &file, const std::string &path, vxd_error *error) {
    LogCapture capture;
    OFCondition cond = file.saveFile(path.c_str(), EXS_LittleEndianExplicit, EET_ExplicitLength, EGL_recalcGL,
                                     EPD_withoutPadding);
    if (cond.bad()) return fail(error, VXD_INTERNAL, path, "cannot write the DICOM file", capture.messages() + " " + cond.text());
    return VXD_OK;
}

} // namespace vxd

extern "C" void vxd_generate_uid(char buffer[72]) {
    std::string uid = vxd::newUID(SITE_INSTANCE_UID_ROOT);
    vxd::copyString(buffer, 72, uid);
}
