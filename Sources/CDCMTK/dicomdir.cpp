// DICOMDIR (Media Storage Directory, PS3.10): the files referenced by its directory records.
// The records are read in sequence order; the record hierarchy (offsets) is not needed to list
// files, which also makes files with broken offsets (DICOMDIR-nooffset) usable.
#include "bridge_internal.hpp"

#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>

extern "C" char *vxd_dicomdir_files(const char *path, vxd_error *error) {
    if (error != nullptr) error->message[0] = '\0';
    if (path == nullptr) {
        vxd::fail(error, VXD_INVALID_ARGUMENT, "", "null path");
        return nullptr;
    }
    try {
        vxd::ensureInitialized();
        vxd::LogCapture capture;
        DcmFileFormat fileFormat;
        OFCondition cond = fileFormat.loadFile(path, EXS_Unknown, EGL_noChange, 4096, ERM_autoDetect);
        if (cond.bad()) {
            vxd::fail(error, VXD_CORRUPT, path, "cannot parse DICOMDIR", capture.messages().empty() ? cond.text() : capture.messages());
            return nullptr;
        }
        DcmDataset *ds = fileFormat.getDataset();
        DcmSequenceOfItems *records = nullptr;
        if (ds->findAndGetSequence(DCM_DirectoryRecordSequence, records).bad() || records == nullptr) {
            vxd::fail(error, VXD_CORRUPT, path, "not a DICOMDIR: no DirectoryRecordSequence (0004,1220)");
            return nullptr;
        }
        std::string list;
        for (unsigned long i = 0; i < records->card(); ++i) {
            DcmItem *record = records->getItem(i);
            OFString fileID;
            if (record == nullptr || record->findAndGetOFStringArray(DCM_ReferencedFileID, fileID).bad() || fileID.empty()) continue;
            // ReferencedFileID is a CS path with components separated by backslashes.
            std::string relative;
            for (char c : std::string(fileID.c_str())) {
                if (c == '\\') relative += '/';
                else if (c != ' ' && c != '\0') relative += c;
            }
            if (relative.empty()) continue;
            list += relative;
            list += '\n';
        }
        char *out = static_cast<char *>(std::malloc(list.size() + 1));
        if (out == nullptr) {
            vxd::fail(error, VXD_INTERNAL, path, "out of memory");
            return nullptr;
        }
        std::memcpy(out, list.data(), list.size());
        out[list.size()] = '\0';
        return out;
    } catch (const std::bad_alloc &) {
        vxd::fail(error, VXD_INTERNAL, path, "out of memory while reading the DICOMDIR");
    } catch (const std::exception &e) {
        vxd::fail(error, VXD_INTERNAL, path, std::string("unexpected error while reading the DICOMDIR: ") + e.what());
    } catch (...) {
        vxd::fail(error, VXD_INTERNAL, path, "unexpected error while reading the DICOMDIR");
    }
    return nullptr;
}
