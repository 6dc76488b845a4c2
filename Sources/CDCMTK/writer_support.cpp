// Helpers shared by the DICOM writers: DS formatting, UIDs, dates, saving.
#include "writer_support.hpp"

#include "dcmtk/dcmdata/dcuid.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <algorithm>
#include <random>

namespace vxd {

vxd_status check(OFCondition cond, vxd_error *error, const std::string &path, const std::string &what,
                 const LogCapture *capture) {
    if (cond.good()) return VXD_OK;
    const std::string messages = capture != nullptr ? capture->messages() : std::string();
    return fail(error, VXD_INVALID_ARGUMENT, path, what, messages.empty() ? std::string(cond.text()) : messages + "; " + cond.text());
}

std::string decimalString(double value) {
    if (!std::isfinite(value)) value = 0;
    // Round away binary noise (0.99999999999999 → 1, 0.93969262078591 → 0.9396926208), then the
    // most significant digits that fit DS's 16 characters.
    char buffer[40];
    for (int precision = 10; precision >= 1; --precision) {
        std::snprintf(buffer, sizeof(buffer), "%.*g", precision, value);
        if (std::strlen(buffer) <= 16) break;
    }
    if (std::strcmp(buffer, "-0") == 0) return "0";
    return buffer;
}

std::string coordinateString(double value) {
    if (!std::isfinite(value)) value = 0;
    char buffer[40];
    std::snprintf(buffer, sizeof(buffer), "%.4f", value);
    std::string s = buffer;
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    if (s == "-0" || s.empty()) s = "0";
    return s;
}

std::string decimalStrings(const double *values, size_t count) {
    std::string out;
    for (size_t i = 0; i < count; ++i) {
        if (i > 0) out += '\\';
        out += decimalString(values[i]);
    }
    return out;
}

std::string newUID() {
    // 128 random bits (std::random_device reads the kernel's generator) as a decimal integer.
    std::random_device device;
    uint64_t hi = (uint64_t(device()) << 32) | device(), lo = (uint64_t(device()) << 32) | device();
    hi = (hi & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;  // UUID version 4
    lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // RFC 4122 variant
    std::string digits;
    while (hi != 0 || lo != 0) {
        // Divide the 128-bit number hi:lo by 10.
        unsigned __int128 n = (static_cast<unsigned __int128>(hi) << 64) | lo;
        digits.push_back(static_cast<char>('0' + static_cast<int>(n % 10)));
        n /= 10;
        hi = static_cast<uint64_t>(n >> 64);
        lo = static_cast<uint64_t>(n);
    }
    std::reverse(digits.begin(), digits.end());
    return "2.25." + (digits.empty() ? std::string("0") : digits);
}

Timestamp Timestamp::now() {
    std::time_t t = std::time(nullptr);
    std::tm local{};
    localtime_r(&t, &local);
    char date[16], time[16], zone[16];
    std::strftime(date, sizeof(date), "%Y%m%d", &local);
    std::strftime(time, sizeof(time), "%H%M%S", &local);
    std::strftime(zone, sizeof(zone), "%z", &local);
    return Timestamp{date, time, zone};
}

std::string truncateChars(const std::string &value, size_t maxChars) {
    size_t chars = 0;
    for (size_t i = 0; i < value.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(value[i]);
        if ((c & 0xC0) != 0x80) {  // a character starts here
            if (chars == maxChars) return value.substr(0, i);
            ++chars;
        }
    }
    return value;
}

OFCondition loadSourceHeader(DcmFileFormat &file, const std::string &path, std::string &detail) {
    LogCapture capture;
    OFCondition cond = file.loadFileUntilTag(path.c_str(), EXS_Unknown, EGL_noChange, DCM_MaxReadLength, ERM_autoDetect,
                                             DCM_PixelData);
    if (cond.good()) {
        OFString charset;
        if (file.getDataset()->findAndGetOFStringArray(DCM_SpecificCharacterSet, charset).good() && !charset.empty() &&
            charset != "ISO_IR 192" && charset != "ISO_IR 6")
            cond = file.convertToUTF8();
        file.getDataset()->putAndInsertString(DCM_SpecificCharacterSet, "ISO_IR 192");
    }
    detail = capture.messages().empty() ? std::string(cond.text()) : capture.messages() + "; " + cond.text();
    return cond;
}

vxd_status saveDataset(DcmFileFormat &file, const std::string &path, E_TransferSyntax transferSyntax, vxd_error *error) {
    LogCapture capture;
    OFCondition cond = file.saveFile(path.c_str(), transferSyntax, EET_ExplicitLength, EGL_recalcGL, EPD_withoutPadding);
    if (cond.bad()) return fail(error, VXD_INTERNAL, path, "cannot write the DICOM file", capture.messages() + " " + cond.text());
    return VXD_OK;
}

} // namespace vxd

extern "C" void vxd_generate_uid(char buffer[72]) {
    std::string uid = vxd::newUID();
    vxd::copyString(buffer, 72, uid);
}
