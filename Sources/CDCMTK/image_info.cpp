// Image-level attributes of an opened file: pixel format, frame count, functional groups and
// the Siemens mosaic layout (tile count from the CSA header, corrected tile-0 position).
#include "bridge_internal.hpp"

#include <cmath>
#include <cstring>

namespace {

int32_t getUint16(DcmItem *item, const DcmTagKey &key, int32_t fallback) {
    Uint16 v = 0;
    return item->findAndGetUint16(key, v).good() ? static_cast<int32_t>(v) : fallback;
}

bool getDoubles(DcmItem *item, const DcmTagKey &key, double *out, unsigned long count) {
    for (unsigned long i = 0; i < count; ++i)
        if (item->findAndGetFloat64(key, out[i], i).bad() || !std::isfinite(out[i])) return false;
    return true;
}

bool imageTypeHas(DcmItem *item, const char *value) {
    OFString all;
    if (item->findAndGetOFStringArray(DCM_ImageType, all).bad()) return false;
    std::string s(all.c_str());
    size_t start = 0;
    while (start <= s.size()) {
        size_t end = s.find('\\', start);
        if (end == std::string::npos) end = s.size();
        std::string v = s.substr(start, end - start);
        size_t a = v.find_first_not_of(' '), b = v.find_last_not_of(' ');
        if (a != std::string::npos && v.substr(a, b - a + 1) == value) return true;
        start = end + 1;
    }
    return false;
}

/// More slices than any scanner puts in one mosaic.
constexpr int maxMosaicSlices = 4096;

} // namespace

namespace vxd {

/// Compares the pixel data the header declares (Rows x Columns x NumberOfFrames x SamplesPerPixel
/// x BitsAllocated) with what PixelData (7FE0,0010) holds, with overflow-checked products: native
/// data must hold every frame; encapsulated data needs a fragment per frame at least.
vxd_status checkPixelDataSize(vxd_file *file, vxd_error *error) {
    const vxd_image_info &info = file->info;
    if (!info.has_pixel_data) return VXD_OK;
    DcmElement *element = nullptr;
    if (file->dataset->findAndGetElement(DCM_PixelData, element).bad() || element == nullptr) return VXD_OK;
    // Every frame must take room in PixelData, or NumberOfFrames is bounded by nothing and the
    // per-frame work runs for each declared frame (found by fuzzing: a 766-byte file with Columns
    // missing and NumberOfFrames = 1000000 took minutes; Fuzz/regressions/dicom).
    if (info.stored_rows < 1 || info.stored_columns < 1 || info.samples_per_pixel < 1 || info.bits_allocated < 1) {
        return fail(error, VXD_CORRUPT, file->path,
                    "PixelData (7FE0,0010) is present but Rows (0028,0010) x Columns (0028,0011) x SamplesPerPixel (0028,0002) x "
                    "BitsAllocated (0028,0100) = " + std::to_string(info.stored_rows) + " x " + std::to_string(info.stored_columns) +
                        " x " + std::to_string(info.samples_per_pixel) + " x " + std::to_string(info.bits_allocated) +
                        " declares empty frames");
    }
    const uint64_t factors[] = {static_cast<uint64_t>(info.stored_rows), static_cast<uint64_t>(info.stored_columns),
                                static_cast<uint64_t>(info.stored_frame_count), static_cast<uint64_t>(info.samples_per_pixel),
                                static_cast<uint64_t>(info.bits_allocated)};
    uint64_t bits = 1;
    for (uint64_t f : factors) {
        if (__builtin_mul_overflow(bits, f, &bits)) {
            return fail(error, VXD_CORRUPT, file->path,
                        "Rows (0028,0010) x Columns (0028,0011) x NumberOfFrames (0028,0008) x SamplesPerPixel (0028,0002) x "
                        "BitsAllocated (0028,0100) overflows");
        }
    }
    const uint64_t declared = (bits + 7) / 8;
    if (!info.is_encapsulated) {
        if (element->getLengthField() == DCM_UndefinedLength) {
            return fail(error, VXD_CORRUPT, file->path,
                        "PixelData (7FE0,0010) is encapsulated (undefined length) but the transfer syntax " +
                            std::string(DcmXfer(file->transferSyntax).getXferName()) + " is native");
        }
        const uint64_t held = element->getLength();
        if (held < declared) {
            return fail(error, VXD_CORRUPT, file->path,
                        "PixelData (7FE0,0010) holds " + std::to_string(held) + " bytes but Rows x Columns x NumberOfFrames (0028,0008) x "
                        "SamplesPerPixel x BitsAllocated/8 = " + std::to_string(info.stored_rows) + " x " +
                            std::to_string(info.stored_columns) + " x " + std::to_string(info.stored_frame_count) + " x " +
                            std::to_string(info.samples_per_pixel) + " x " + std::to_string(info.bits_allocated) + "/8 declares " +
                            std::to_string(declared) + " (truncated pixel data or wrong header)");
        }
        return VXD_OK;
    }
    DcmPixelData *pixelData = OFstatic_cast(DcmPixelData *, element);
    DcmPixelSequence *sequence = nullptr;
    if (element->ident() != EVR_PixelData ||
        pixelData->getEncapsulatedRepresentation(file->transferSyntax, nullptr, sequence).bad() || sequence == nullptr) {
        return VXD_OK;  // left to the decoder, which reports it per frame
    }
    const unsigned long fragments = sequence->card() > 0 ? sequence->card() - 1 : 0;  // item 0: basic offset table
    if (static_cast<uint64_t>(info.stored_frame_count) > fragments) {
        return fail(error, VXD_CORRUPT, file->path,
                    "NumberOfFrames (0028,0008) = " + std::to_string(info.stored_frame_count) +
                        " but the encapsulated PixelData (7FE0,0010) holds only " + std::to_string(fragments) +
                        " fragment" + (fragments == 1 ? "" : "s") + " (at least one per frame)");
    }
    return VXD_OK;
}

vxd_status readImageInfo(vxd_file *file, vxd_error *error) {
    DcmDataset *ds = file->dataset;
    vxd_image_info &info = file->info;
    std::memset(&info, 0, sizeof(info));

    info.has_pixel_data = ds->tagExists(DCM_PixelData) ? 1 : 0;
    info.has_float_pixel_data = (ds->tagExists(DCM_FloatPixelData) || ds->tagExists(DCM_DoubleFloatPixelData)) ? 1 : 0;

    OFString mediaClass;
    file->fileFormat.getMetaInfo()->findAndGetOFString(DCM_MediaStorageSOPClassUID, mediaClass);
    info.is_dicomdir = (mediaClass == UID_MediaStorageDirectoryStorage || ds->tagExists(DCM_DirectoryRecordSequence)) ? 1 : 0;

    info.stored_rows = getUint16(ds, DCM_Rows, 0);
    info.stored_columns = getUint16(ds, DCM_Columns, 0);
    Sint32 frames = 1;
    if (ds->tagExists(DCM_NumberOfFrames)) {
        OFString text;
        ds->findAndGetOFString(DCM_NumberOfFrames, text);
        if (ds->findAndGetSint32(DCM_NumberOfFrames, frames).bad() || frames < 1) {
            return fail(error, VXD_CORRUPT, file->path,
                        "NumberOfFrames (0028,0008) is \"" + std::string(text.c_str()) + "\"; it must be 1 or more");
        }
    }
    info.stored_frame_count = frames;
    info.bits_allocated = getUint16(ds, DCM_BitsAllocated, 0);
    info.bits_stored = getUint16(ds, DCM_BitsStored, info.bits_allocated);
    info.high_bit = getUint16(ds, DCM_HighBit, info.bits_stored - 1);
    info.pixel_representation = getUint16(ds, DCM_PixelRepresentation, 0);
    info.samples_per_pixel = getUint16(ds, DCM_SamplesPerPixel, 1);
    info.planar_configuration = getUint16(ds, DCM_PlanarConfiguration, 0);

    const DcmXfer xfer(file->transferSyntax);
    copyString(info.transfer_syntax_uid, sizeof(info.transfer_syntax_uid),
               file->transferSyntax == EXS_Unknown ? std::string() : std::string(xfer.getXferID()));
    info.is_encapsulated = xfer.isEncapsulated() ? 1 : 0;
    OFString photometric;
    ds->findAndGetOFString(DCM_PhotometricInterpretation, photometric);
    copyString(info.photometric_interpretation, sizeof(info.photometric_interpretation), photometric.c_str());

    // Enhanced multi-frame: keep pointers to the functional-group items (owned by the data set).
    DcmSequenceOfItems *perFrame = nullptr;
    if (ds->findAndGetSequence(DCM_PerFrameFunctionalGroupsSequence, perFrame).good() && perFrame != nullptr) {
        file->perFrameGroups.reserve(perFrame->card());
        for (unsigned long i = 0; i < perFrame->card(); ++i) file->perFrameGroups.push_back(perFrame->getItem(i));
    }
    DcmItem *shared = nullptr;
    if (ds->findAndGetSequenceItem(DCM_SharedFunctionalGroupsSequence, shared, 0).good()) file->sharedGroups = shared;
    info.is_enhanced = (!file->perFrameGroups.empty() || file->sharedGroups != nullptr) ? 1 : 0;

    info.rows = info.stored_rows;
    info.columns = info.stored_columns;
    info.frame_count = info.stored_frame_count;

    vxd_status sized = checkPixelDataSize(file, error);
    if (sized != VXD_OK) return sized;

    // Siemens mosaic: one stored frame holding N slices as tiles of a square grid.
    if (info.has_pixel_data && !info.is_enhanced && info.stored_frame_count == 1 && imageTypeHas(ds, "MOSAIC")) {
        CSAValues csa;
        if (DcmElement *e = findPrivateElement(ds, 0x0029, "SIEMENS CSA HEADER", 0x10)) {
            Uint8 *bytes = nullptr;
            if (e->getUint8Array(bytes).good() && bytes != nullptr) parseCSAHeader(bytes, e->getLength(), csa);
        }
        int count = csa.hasMosaicCount ? csa.mosaicCount : 0;
        if (count == 0) {
            if (DcmElement *e = findPrivateElement(ds, 0x0019, "SIEMENS MR HEADER", 0x0A)) {
                Uint16 n = 0;
                if (e->getUint16(n).good()) count = n;
                else {
                    // Implicit VR files carry private elements as UN/OB: read the two bytes.
                    Uint8 *raw = nullptr;
                    if (e->getUint8Array(raw).good() && raw != nullptr && e->getLength() >= 2)
                        count = raw[0] | (raw[1] << 8);
                }
            }
        }
        if (count > maxMosaicSlices) {
            return fail(error, VXD_CORRUPT, file->path,
                        "Siemens mosaic: NumberOfImagesInMosaic = " + std::to_string(count) + " is implausible (more than " +
                            std::to_string(maxMosaicSlices) + ")");
        }
        if (count < 1) {
            return fail(error, VXD_UNSUPPORTED, file->path,
                        "Siemens mosaic (ImageType (0008,0008) contains MOSAIC) without a slice count: neither the CSA "
                        "header (0029,xx10) NumberOfImagesInMosaic nor the private element (0019,xx0A) was found");
        }
        const int tilesPerRow = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(count)) - 1e-9));
        if (tilesPerRow < 1 || info.stored_rows % tilesPerRow != 0 || info.stored_columns % tilesPerRow != 0) {
            return fail(error, VXD_CORRUPT, file->path,
                        "Siemens mosaic of " + std::to_string(count) + " slices does not tile Rows x Columns " +
                        std::to_string(info.stored_rows) + " x " + std::to_string(info.stored_columns) + " into a " +
                        std::to_string(tilesPerRow) + " x " + std::to_string(tilesPerRow) + " grid");
        }
        info.is_mosaic = 1;
        info.mosaic_tiles_per_row = tilesPerRow;
        info.rows = info.stored_rows / tilesPerRow;
        info.columns = info.stored_columns / tilesPerRow;
        info.frame_count = count;
        info.mosaic_has_csa_normal = csa.hasSliceNormal ? 1 : 0;

        double ipp[3], iop[6], spacing[2];
        if (getDoubles(ds, DCM_ImagePositionPatient, ipp, 3) && getDoubles(ds, DCM_ImageOrientationPatient, iop, 6) &&
            getDoubles(ds, DCM_PixelSpacing, spacing, 2)) {
            const double *rowCos = iop, *colCos = iop + 3;
            double normal[3] = {rowCos[1] * colCos[2] - rowCos[2] * colCos[1], rowCos[2] * colCos[0] - rowCos[0] * colCos[2],
                                rowCos[0] * colCos[1] - rowCos[1] * colCos[0]};
            const double nn = std::sqrt(normal[0] * normal[0] + normal[1] * normal[1] + normal[2] * normal[2]);
            if (nn > 0) for (double &v : normal) v /= nn;
            if (csa.hasSliceNormal) std::memcpy(normal, csa.sliceNormal, sizeof(normal));
            std::memcpy(info.mosaic_slice_normal, normal, sizeof(normal));
            // ImagePositionPatient of a mosaic is that of the whole stored image; the first slice
            // is centred in it: shift by half the difference between mosaic and tile size.
            const double shiftColumns = (info.stored_columns - info.columns) / 2.0 * spacing[1];
            const double shiftRows = (info.stored_rows - info.rows) / 2.0 * spacing[0];
            double step = 0;
            if (ds->findAndGetFloat64(DCM_SpacingBetweenSlices, step).bad() || !(step > 0)) {
                step = 0;
                if (ds->findAndGetFloat64(DCM_SliceThickness, step).bad() || !(step > 0)) step = 0;
            }
            for (int k = 0; k < 3; ++k) {
                file->mosaicOrigin[k] = ipp[k] + rowCos[k] * shiftColumns + colCos[k] * shiftRows;
                file->mosaicStep[k] = normal[k] * step;
            }
            file->mosaicHasPosition = step > 0;
        }
    }
    return VXD_OK;
}

} // namespace vxd
