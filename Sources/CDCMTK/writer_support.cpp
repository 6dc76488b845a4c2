// Helpers shared by the DICOM writers: DS formatting, UIDs, dates, saving.
#include "writer_support.hpp"

#include "dcmtk/dcmdata/dcuid.h"
#include "dcmtk/dcmdata/dcostrmb.h"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>
#include <vector>

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

// DCMTK's saveFile does not report a short write (a full disk or a file-size limit left a truncated
// RTSTRUCT with success): encode the file in memory with DcmFileFormat::write (preamble, meta header,
// dataset — what saveFile writes), then write the bytes with every write(2), fsync(2) and close(2)
// checked.
vxd_status saveDataset(DcmFileFormat &file, const std::string &path, E_TransferSyntax transferSyntax, vxd_error *error) {
    LogCapture capture;
    std::vector<char> bytes;
    std::vector<char> buffer(1 << 20);
    DcmOutputBufferStream out(buffer.data(), static_cast<offile_off_t>(buffer.size()));
    file.transferInit();
    OFCondition cond;
    void *chunk = nullptr;
    offile_off_t length = 0;
    while ((cond = file.write(out, transferSyntax, EET_ExplicitLength, nullptr, EGL_recalcGL, EPD_withoutPadding)) == EC_StreamNotifyClient) {
        out.flushBuffer(chunk, length);
        bytes.insert(bytes.end(), static_cast<char *>(chunk), static_cast<char *>(chunk) + length);
    }
    file.transferEnd();
    if (cond.bad()) return fail(error, VXD_INTERNAL, path, "cannot encode the DICOM file", capture.messages() + " " + cond.text());
    out.flush();
    out.flushBuffer(chunk, length);
    bytes.insert(bytes.end(), static_cast<char *>(chunk), static_cast<char *>(chunk) + length);

    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) return fail(error, VXD_INTERNAL, path, "cannot create the DICOM file", std::strerror(errno));
    size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::write(fd, bytes.data() + done, std::min<size_t>(bytes.size() - done, 1 << 30));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            int e = n < 0 ? errno : EIO;
            ::close(fd);
            return fail(error, VXD_INTERNAL, path, "writing the DICOM file failed", std::strerror(e));
        }
        done += static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0) {
        int e = errno;
        ::close(fd);
        return fail(error, VXD_INTERNAL, path, "the DICOM file could not be flushed to disk", std::strerror(e));
    }
    if (::close(fd) != 0) return fail(error, VXD_INTERNAL, path, "closing the DICOM file failed", std::strerror(errno));
    return VXD_OK;
}

} // namespace vxd

extern "C" void vxd_generate_uid(char buffer[72]) {
    std::string uid = vxd::newUID();
    vxd::copyString(buffer, 72, uid);
}
