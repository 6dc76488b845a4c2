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

/// A decimal string (DS) of at most 16 characters that round-trips `value` as closely as DS allows.
std::string decimalString(double value);

/// Several DS values joined with backslashes.
std::string decimalStrings(const double *values, size_t count);

/// A new UID under DCMTK's root (SITE_INSTANCE_UID_ROOT or SITE_SERIES_UID_ROOT).
std::string newUID(const char *root);

/// Today's date (YYYYMMDD) and time (HHMMSS) in local time.
std::string currentDate();
std::string currentTime();

/// True if any of the strings holds a byte ≥ 0x80 (then SpecificCharacterSet must be ISO_IR 192).
bool anyNonASCII(std::initializer_list<std::string> values);

/// Saves the data set atomically enough for the caller: `path` is the caller's temporary name.
vxd_status saveDataset(DcmFileFormat &file, const std::string &path, vxd_error *error);

} // namespace vxd

#endif
