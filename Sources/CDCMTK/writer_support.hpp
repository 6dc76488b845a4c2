// Helpers shared by the DICOM writers (seg_write.cpp, rtstruct_write.cpp). Never included by the
// public headers.
#ifndef VOXSAM_CDCMTK_WRITER_SUPPORT_HPP
#define VOXSAM_CDCMTK_WRITER_SUPPORT_HPP

#include "bridge_internal.hpp"
#include "CDCMTKWriters.h"

#include <string>

namespace vxd {

/// A C string argument as std::string (nullptr → empty).
inline std::string str(const char *s) { return s == nullptr ? std::string() : std::string(s); }

/// True when a code's value is given (an empty value marks an absent optional code).
inline bool present(const vxd_code &c) { return c.value != nullptr && c.value[0] != '\0'; }

/// VXD_OK for a good condition, else VXD_INVALID_ARGUMENT with "path: what", DCMTK's log messages
/// (when a capture is given and caught any) or the condition's text appended.
vxd_status check(OFCondition cond, vxd_error *error, const std::string &path, const std::string &what,
                 const LogCapture *capture = nullptr);

/// A decimal string (DS) of at most 16 characters that round-trips `value` as closely as DS allows.
std::string decimalString(double value);

/// Several DS values joined with backslashes.
std::string decimalStrings(const double *values, size_t count);

/// A DS value for contour coordinates: at most 4 decimals (0.1 µm), trailing zeros dropped, so
/// ContourData stays compact.
std::string coordinateString(double value);

/// A new UID under 2.25 (a random 128-bit UUID as a decimal integer, PS3.5 B.2): VoxSAM has no
/// registered root of its own, and DCMTK's root belongs to OFFIS.
std::string newUID();

/// One local timestamp for all date/time attributes of an object: YYYYMMDD, HHMMSS, and the
/// TimezoneOffsetFromUTC (+HHMM / -HHMM).
struct Timestamp {
    std::string date, time, timezone;
    static Timestamp now();
};

/// A LO/PN/CS value cut to `maxChars` characters (UTF-8 aware): DICOM limits LO to 64 characters.
std::string truncateChars(const std::string &value, size_t maxChars);

/// Loads one source image without its pixel data, converted to UTF-8 (SpecificCharacterSet becomes
/// ISO_IR 192) so that copied patient/study text and VoxSAM's UTF-8 strings share one repertoire.
OFCondition loadSourceHeader(DcmFileFormat &file, const std::string &path, std::string &detail);

/// Saves the data set to `path` (the caller's temporary name) in `transferSyntax`.
vxd_status saveDataset(DcmFileFormat &file, const std::string &path, E_TransferSyntax transferSyntax, vxd_error *error);

} // namespace vxd

#endif
