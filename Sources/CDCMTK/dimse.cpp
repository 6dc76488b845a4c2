// DIMSE client: a series by C-FIND + C-GET, instances sent by C-STORE (CDCMTKNetwork.h).
#include "bridge_internal.hpp"
#include "CDCMTKNetwork.h"

#include "dcmtk/dcmnet/diutil.h"
#include "dcmtk/dcmnet/scu.h"
#include "dcmtk/oflog/oflog.h"

#include <cstdio>
#include <cstring>
#include <mutex>
#include <set>
#include <sys/stat.h>

namespace {

/// Transfer syntaxes proposed for instances we receive (C-GET sub-operations): the uncompressed
/// ones first, then every compressed one the reader decodes, so a PACS never has to transcode.
const char *const receiveSyntaxes[] = {
    UID_LittleEndianExplicitTransferSyntax, UID_LittleEndianImplicitTransferSyntax, UID_BigEndianExplicitTransferSyntax,
    UID_JPEGProcess14SV1TransferSyntax, UID_JPEGProcess14TransferSyntax, UID_JPEGProcess1TransferSyntax,
    UID_JPEGProcess2_4TransferSyntax, UID_JPEGLSLosslessTransferSyntax, UID_JPEGLSLossyTransferSyntax,
    UID_JPEG2000LosslessOnlyTransferSyntax, UID_JPEG2000TransferSyntax, UID_RLELosslessTransferSyntax,
    UID_DeflatedExplicitVRLittleEndianTransferSyntax,
};

OFList<OFString> uncompressed() {
    OFList<OFString> l;
    l.push_back(UID_LittleEndianExplicitTransferSyntax);
    l.push_back(UID_LittleEndianImplicitTransferSyntax);
    return l;
}

/// A UID from the peer, for a message: digits and dots only, at most 64 characters.
std::string uidText(const OFString &uid) {
    std::string out;
    for (char c : std::string(uid.c_str())) {
        if ((c >= '0' && c <= '9') || c == '.') out += c;
        if (out.size() >= 64) break;
    }
    return out.empty() ? std::string("(none)") : out;
}

std::string hex(Uint16 s) {
    char b[8];
    std::snprintf(b, sizeof b, "0x%04X", static_cast<unsigned>(s));
    return b;
}

/// "condition (sub-condition …)" from DCMTK's condition chain, on one line.
std::string conditionText(const OFCondition &cond) {
    OFString dumped;
    DimseCondition::dump(dumped, cond);
    std::string s = dumped.c_str();
    // Lines look like "0006:031b Failed to establish association"; keep the texts.
    std::string out;
    size_t start = 0;
    while (start <= s.size()) {
        size_t end = s.find('\n', start);
        std::string line = s.substr(start, end == std::string::npos ? std::string::npos : end - start);
        size_t space = line.find(' ');
        if (space != std::string::npos && line.find(':') < space) line = line.substr(space + 1);
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
        if (!line.empty()) out += (out.empty() ? "" : ": ") + line;
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return out.empty() ? std::string(cond.text()) : out;
}

/// One line for a failed network step, with a hint for the common causes.
std::string networkFailure(const OFCondition &cond, const vxd_peer *peer) {
    std::string text = conditionText(cond);
    if (cond == DUL_PEERABORTEDASSOCIATION) {
        return "the peer aborted the association; does it know our AE title " + std::string(peer->calling_aet) +
               " and this host? (--aet, or the peer's list of modalities)";
    }
    // An abort that arrives while we are still sending reads as a reset connection.
    if (text.find("Connection reset by peer") != std::string::npos || text.find("Broken pipe") != std::string::npos) {
        return "the peer aborted the association (the connection was reset while sending); does it know our AE title " +
               std::string(peer->calling_aet) + " and this host? (--aet, or the peer's list of modalities)";
    }
    if (cond == DUL_PEERREQUESTEDRELEASE) return "the peer released the association before answering (" + text + ")";
    if (cond == DIMSE_NODATAAVAILABLE || cond == DUL_READTIMEOUT) {
        return "no answer within " + std::to_string(peer->timeout_seconds) + " s (" + text + ")";
    }
    return text;
}

/// An SCU configured for `peer`.
template <class SCU> void configure(SCU &scu, const vxd_peer *peer) {
    scu.setAETitle(peer->calling_aet);
    scu.setPeerAETitle(peer->called_aet);
    scu.setPeerHostName(peer->host);
    scu.setPeerPort(peer->port);
    Uint32 t = static_cast<Uint32>(peer->timeout_seconds > 0 ? peer->timeout_seconds : 60);
    scu.setConnectionTimeout(static_cast<Sint32>(t));
    scu.setACSETimeout(t);
    scu.setDIMSETimeout(t);
    scu.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
    scu.setMaxReceivePDULength(ASC_DEFAULTMAXPDU);
}

/// Opens the association; on failure fills `message` (a rejection with its reason, read from the
/// DCMTK debug message negotiateAssociation writes) and `outcome`.
bool associate(DcmSCU &scu, const vxd_peer *peer, std::string &message, vxd_network_outcome *outcome) {
    OFCondition cond = scu.initNetwork();
    if (cond.bad()) {
        message = "cannot start the network layer: " + conditionText(cond);
        return false;
    }
    std::string rejection;
    {
        // DcmSCU reports the rejection reason only as a DEBUG message of the dcmnet logger, whose level
        // is process-wide: one negotiation at a time raises it, and the level before is restored.
        static std::mutex negotiating;
        std::lock_guard<std::mutex> one(negotiating);
        OFLogger net = OFLog::getLogger("dcmtk.dcmnet");
        struct LevelGuard {
            OFLogger &logger;
            OFLogger::LogLevel before;
            ~LevelGuard() { logger.setLogLevel(before); }
        } restore{net, net.getChainedLogLevel()};
        vxd::LogCapture capture;
        net.setLogLevel(OFLogger::DEBUG_LOG_LEVEL);
        cond = scu.negotiateAssociation();
        std::string logged = capture.messages();
        size_t at = logged.find("Association Rejected:");
        if (at != std::string::npos) {
            rejection = logged.substr(at + 21);
            size_t endAt = rejection.find("; ");
            if (endAt != std::string::npos) rejection = rejection.substr(0, endAt);
            for (char &c : rejection) if (c == '\n' || c == '\r') c = ' ';
            while (!rejection.empty() && rejection.front() == ' ') rejection.erase(rejection.begin());
            while (!rejection.empty() && rejection.back() == ' ') rejection.pop_back();
            // "Result: Rejected Permanent, Source: Service User Reason: Called AE Title Not Recognized"
            for (const char *drop : {"Result: "}) {
                size_t p = rejection.find(drop);
                if (p != std::string::npos) rejection.erase(p, std::strlen(drop));
            }
            size_t reason = rejection.find(" Reason: ");
            if (reason != std::string::npos) rejection.replace(reason, 9, ": ");
        }
    }
    if (cond.good()) {
        if (outcome != nullptr) outcome->reached_peer = 1;
        return true;
    }
    if (cond == DUL_ASSOCIATIONREJECTED) {
        message = "association rejected" + (rejection.empty() ? std::string() : " (" + rejection + ")");
        if (rejection.find("Called AE Title Not Recognized") != std::string::npos) {
            message += "; is " + std::string(peer->called_aet) + " the peer's AE title?";
        } else if (rejection.find("Calling AE Title Not Recognized") != std::string::npos) {
            message += "; the peer does not know our AE title " + std::string(peer->calling_aet) + " (--aet)";
        }
        if (outcome != nullptr) outcome->retry_may_help = rejection.find("Transient") != std::string::npos;
    } else if (cond == NET_EC_NoAcceptablePresentationContexts) {
        message = "the peer accepted none of the services asked for (" + conditionText(cond) + ")";
    } else {
        message = "cannot connect: " + networkFailure(cond, peer);
        if (outcome != nullptr) outcome->retry_may_help = 1;
    }
    return false;
}

/// Opens the association and finds the accepted presentation context of `abstractSyntax`; 0 (the
/// association released, `message` filled) when either fails.
T_ASC_PresentationContextID openService(DcmSCU &scu, const vxd_peer *peer, const char *abstractSyntax, const char *service,
                                        std::string &message, vxd_network_outcome *outcome) {
    if (!associate(scu, peer, message, outcome)) return 0;
    T_ASC_PresentationContextID pc = scu.findPresentationContextID(abstractSyntax, "");
    if (pc == 0) {
        scu.releaseAssociation();
        message = std::string("the peer does not offer ") + service;
    }
    return pc;
}

/// Keys of a Study Root query at SERIES level.
void seriesKeys(DcmDataset &keys, const char *seriesUID, const std::string &studyUID) {
    keys.putAndInsertOFStringArray(DCM_QueryRetrieveLevel, "SERIES");
    keys.putAndInsertOFStringArray(DCM_StudyInstanceUID, studyUID.c_str());
    keys.putAndInsertOFStringArray(DCM_SeriesInstanceUID, seriesUID);
}

template <class Response> void freeResponses(OFList<Response *> &responses) {
    for (auto it = responses.begin(); it != responses.end(); ++it) delete *it;
    responses.clear();
}

/// C-FIND that stops after a bounded number of matches (a peer cannot grow the list without end).
class SeriesFinder : public DcmSCU {
public:
    int matches = 0;
    bool tooMany = false;
    OFCondition handleFINDResponse(const T_ASC_PresentationContextID presID, QRResponse *response, OFBool &waitForNext) override {
        OFCondition c = DcmSCU::handleFINDResponse(presID, response, waitForNext);
        if (++matches > 1000) {
            tooMany = true;
            waitForNext = OFFalse;
        }
        return c;
    }
};

/// C-GET that writes each instance of the wanted series as a numbered file, within limits.
class SeriesRetriever : public DcmSCU {
public:
    std::string folder, seriesUID;
    int32_t maxFiles = 0;
    uint64_t maxBytes = 0;
    int32_t written = 0;
    uint64_t bytes = 0;
    std::string problem;  // why an instance was refused (the first reason)
    bool writeFailed = false;
    int responses = 0;

    /// Pending C-GET responses without instances are counted: a peer that only sends those is stopped.
    OFCondition handleCGETResponse(const T_ASC_PresentationContextID presID, RetrieveResponse *response,
                                   OFBool &continueSession) override {
        OFCondition c = DcmSCU::handleCGETResponse(presID, response, continueSession);
        if (++responses > 2 * maxFiles + 16) {
            if (problem.empty()) problem = "it sent more than " + std::to_string(2 * maxFiles + 16) + " C-GET responses";
            continueSession = OFFalse;
        }
        return c;
    }

    OFCondition handleSTORERequest(const T_ASC_PresentationContextID, DcmDataset *incoming, OFBool &continueSession,
                                   Uint16 &status) override {
        if (incoming == nullptr) return DIMSE_NULLKEY;
        DcmFileFormat file(incoming, OFFalse);  // takes ownership
        OFString series, sopClass, instance;
        incoming->findAndGetOFString(DCM_SeriesInstanceUID, series);
        incoming->findAndGetOFString(DCM_SOPClassUID, sopClass);
        incoming->findAndGetOFString(DCM_SOPInstanceUID, instance);
        auto refuse = [&](Uint16 s, const std::string &why) {
            status = s;
            if (problem.empty()) problem = why;
            continueSession = OFFalse;
            return EC_Normal;
        };
        if (sopClass.empty() || instance.empty()) {
            return refuse(STATUS_STORE_Error_DataSetDoesNotMatchSOPClass, "it sent an instance without SOPClassUID or SOPInstanceUID");
        }
        if (series != seriesUID.c_str()) {
            return refuse(STATUS_STORE_Error_CannotUnderstand, "it sent instance " + uidText(instance) + " of another series (" +
                                                              uidText(series) + ")");
        }
        if (written >= maxFiles) {
            return refuse(STATUS_STORE_Refused_OutOfResources, "the series has more than " + std::to_string(maxFiles) + " instances (the limit)");
        }
        char name[32];
        std::snprintf(name, sizeof name, "/%05d.dcm", written + 1);
        std::string path = folder + name;
        OFCondition cond = file.saveFile(path.c_str(), EXS_Unknown);
        struct stat st {};
        if (cond.bad() || ::stat(path.c_str(), &st) != 0) {
            ::unlink(path.c_str());
            writeFailed = true;
            return refuse(STATUS_STORE_Refused_OutOfResources, "an instance cannot be written to the temporary folder (" +
                                                              std::string(cond.text()) + ")");
        }
        ::chmod(path.c_str(), 0600);
        bytes += static_cast<uint64_t>(st.st_size);
        ++written;
        if (bytes > maxBytes) {
            return refuse(STATUS_STORE_Refused_OutOfResources, "the series is larger than " + std::to_string(maxBytes >> 20) + " MiB (the limit)");
        }
        status = STATUS_Success;
        return EC_Normal;
    }
};

} // namespace

extern "C" {

const char *vxd_cstore_status_text(uint16_t status) { return DU_cstoreStatusString(status); }

vxd_status vxd_dimse_get_series(const vxd_peer *peer, const char *series_uid, const char *folder, int32_t max_files,
                                uint64_t max_bytes, int32_t *out_count, vxd_network_outcome *outcome, vxd_error *error) {
    vxd::clearError(error);
    if (outcome != nullptr) *outcome = vxd_network_outcome{0, 0};
    if (out_count != nullptr) *out_count = 0;
    if (peer == nullptr || peer->name == nullptr || series_uid == nullptr || folder == nullptr) {
        return vxd::fail(error, VXD_INVALID_ARGUMENT, "", "null argument");
    }
    const std::string name = peer->name;
    return vxd::guarded(name, error, [&]() -> vxd_status {
        vxd::ensureInitialized();
        auto failNet = [&](const std::string &m) { return vxd::fail(error, VXD_NETWORK, name, m); };

        // 1. C-FIND: the series' study (C-GET at SERIES level names both, PS3.4 C.4.3.2).
        std::string studyUID;
        {
            SeriesFinder find;
            configure(find, peer);
            find.addPresentationContext(UID_FINDStudyRootQueryRetrieveInformationModel, uncompressed());
            std::string message;
            T_ASC_PresentationContextID pc =
                openService(find, peer, UID_FINDStudyRootQueryRetrieveInformationModel, "C-FIND (Study Root)", message, outcome);
            if (pc == 0) return failNet(message);
            DcmDataset keys;
            seriesKeys(keys, series_uid, "");
            OFList<QRResponse *> responses;
            OFCondition cond = find.sendFINDRequest(pc, &keys, &responses);
            std::set<std::string> studies;
            Uint16 finalStatus = 0xFFFF;
            for (auto it = responses.begin(); it != responses.end(); ++it) {
                QRResponse *r = *it;
                if (DICOM_PENDING_STATUS(r->m_status) && r->m_dataset != nullptr) {
                    // Only answers for the series asked (a peer that ignores the key lists every series).
                    OFString s, answered;
                    r->m_dataset->findAndGetOFString(DCM_SeriesInstanceUID, answered);
                    if (answered != series_uid) continue;
                    if (r->m_dataset->findAndGetOFString(DCM_StudyInstanceUID, s).good() && !s.empty()) studies.insert(uidText(s));
                } else {
                    finalStatus = r->m_status;
                }
            }
            freeResponses(responses);
            if (find.tooMany) {
                find.closeAssociation(DCMSCU_ABORT_ASSOCIATION);
                return failNet("C-FIND answered more than 1000 matches for one series");
            }
            if (cond.bad()) {
                find.closeAssociation(DCMSCU_ABORT_ASSOCIATION);
                return failNet("C-FIND failed: " + networkFailure(cond, peer));
            }
            find.releaseAssociation();
            if (finalStatus != STATUS_Success) {
                return failNet("C-FIND answered " + hex(finalStatus) + " (" + DU_cfindStatusString(finalStatus) + ")");
            }
            if (studies.empty()) return failNet("the peer has no series " + std::string(series_uid));
            if (studies.size() > 1) return failNet("series " + std::string(series_uid) + " is listed in more than one study");
            studyUID = *studies.begin();
        }

        // 2. C-GET: the instances come back as C-STORE requests on this association.
        SeriesRetriever get;
        configure(get, peer);
        get.folder = folder;
        get.seriesUID = series_uid;
        get.maxFiles = max_files;
        get.maxBytes = max_bytes;
        get.setStorageMode(DCMSCU_STORAGE_DISK);
        get.addPresentationContext(UID_GETStudyRootQueryRetrieveInformationModel, uncompressed());
        OFList<OFString> syntaxes;
        for (const char *s : receiveSyntaxes) syntaxes.push_back(s);
        // At most 128 presentation contexts in one association (PS3.8 9.3.2.2): the Q/R one plus 127.
        for (int j = 0; j < numberOfDcmLongSCUStorageSOPClassUIDs && j < 127; ++j) {
            get.addPresentationContext(dcmLongSCUStorageSOPClassUIDs[j], syntaxes, ASC_SC_ROLE_SCP);
        }
        std::string message;
        T_ASC_PresentationContextID pc =
            openService(get, peer, UID_GETStudyRootQueryRetrieveInformationModel, "C-GET (Study Root)", message, outcome);
        if (pc == 0) return failNet(message);
        DcmDataset keys;
        seriesKeys(keys, series_uid, studyUID);
        OFList<RetrieveResponse *> responses;
        OFCondition cond = get.sendCGETRequest(pc, &keys, &responses);
        Uint16 finalStatus = 0xFFFF;
        Uint16 failed = 0, completed = 0;
        for (auto it = responses.begin(); it != responses.end(); ++it) {
            if (!DICOM_PENDING_STATUS((*it)->m_status)) {
                finalStatus = (*it)->m_status;
                failed = (*it)->m_numberOfFailedSubops;
                completed = (*it)->m_numberOfCompletedSubops;
            }
        }
        freeResponses(responses);
        if (out_count != nullptr) *out_count = get.written;
        if (!get.problem.empty()) {
            get.closeAssociation(DCMSCU_ABORT_ASSOCIATION);
            return get.writeFailed ? vxd::fail(error, VXD_WRITE_FAILED, name, get.problem) : failNet("C-GET refused: " + get.problem);
        }
        if (cond.bad()) {
            get.closeAssociation(DCMSCU_ABORT_ASSOCIATION);
            return failNet("C-GET failed after " + std::to_string(get.written) + " instances: " + networkFailure(cond, peer));
        }
        if (finalStatus == 0xFFFF) {
            // The session ended without a final response: an instance could not be received.
            get.closeAssociation(DCMSCU_ABORT_ASSOCIATION);
            return failNet("C-GET ended without a final status after " + std::to_string(get.written) +
                           " instances (an instance could not be received)");
        }
        get.releaseAssociation();
        if (completed > get.written) {
            return failNet("C-GET reported " + std::to_string(completed) + " instances sent, " + std::to_string(get.written) + " arrived");
        }
        if (finalStatus != STATUS_Success || failed > 0) {
            std::string s = finalStatus == 0xFFFF ? std::string("no final status") : hex(finalStatus) + " (" + DU_cgetStatusString(finalStatus) + ")";
            return failNet("C-GET answered " + s + (failed > 0 ? ", " + std::to_string(failed) + " instances not sent" : ""));
        }
        if (get.written == 0) return failNet("C-GET of series " + std::string(series_uid) + " sent no instance");
        return VXD_OK;
    });
}

vxd_status vxd_dimse_store(const vxd_peer *peer, const char *const *files, int32_t count, uint16_t *out_status,
                           vxd_network_outcome *outcome, vxd_error *error) {
    vxd::clearError(error);
    if (outcome != nullptr) *outcome = vxd_network_outcome{0, 0};
    if (peer == nullptr || peer->name == nullptr || files == nullptr || out_status == nullptr || count < 0) {
        return vxd::fail(error, VXD_INVALID_ARGUMENT, "", "null argument");
    }
    for (int32_t i = 0; i < count; ++i) out_status[i] = 0xFFFF;
    const std::string name = peer->name;
    return vxd::guarded(name, error, [&]() -> vxd_status {
        vxd::ensureInitialized();
        // What each file is (from its meta header), before anything is sent.
        std::vector<std::pair<std::string, std::string>> kinds;  // SOP class, transfer syntax
        for (int32_t i = 0; i < count; ++i) {
            DcmFileFormat ff;
            vxd::LogCapture capture;
            OFCondition cond = ff.loadFile(files[i], EXS_Unknown, EGL_noChange, DCM_MaxReadLength, ERM_metaOnly);
            if (cond.bad()) {
                return vxd::fail(error, cond == EC_InvalidFilename || cond.code() == 2 /* ENOENT */ ? VXD_NOT_FOUND : VXD_CORRUPT,
                                 files[i], std::string("cannot be read as DICOM (") + cond.text() + ")", capture.messages());
            }
            OFString sopClass, xfer;
            ff.getMetaInfo()->findAndGetOFString(DCM_MediaStorageSOPClassUID, sopClass);
            ff.getMetaInfo()->findAndGetOFString(DCM_TransferSyntaxUID, xfer);
            if (sopClass.empty() || xfer.empty()) {
                return vxd::fail(error, VXD_NOT_DICOM, files[i], "has no DICOM file meta information (SOP class, transfer syntax)");
            }
            kinds.emplace_back(sopClass.c_str(), xfer.c_str());
        }
        DcmSCU scu;
        configure(scu, peer);
        scu.setDatasetConversionMode(OFTrue);
        std::set<std::string> proposed;
        for (const auto &k : kinds) {
            if (!proposed.insert(k.first + "|" + k.second).second) continue;
            OFList<OFString> syntaxes;
            syntaxes.push_back(k.second.c_str());
            if (k.second != UID_LittleEndianExplicitTransferSyntax) syntaxes.push_back(UID_LittleEndianExplicitTransferSyntax);
            if (k.second != UID_LittleEndianImplicitTransferSyntax) syntaxes.push_back(UID_LittleEndianImplicitTransferSyntax);
            scu.addPresentationContext(k.first.c_str(), syntaxes);
        }
        std::string message;
        if (!associate(scu, peer, message, outcome)) return vxd::fail(error, VXD_NETWORK, name, message);
        // Every file's presentation context before anything is sent.
        std::vector<T_ASC_PresentationContextID> contexts;
        for (int32_t i = 0; i < count; ++i) {
            T_ASC_PresentationContextID pc = scu.findAnyPresentationContextID(kinds[i].first.c_str(), kinds[i].second.c_str());
            if (pc == 0) {
                scu.releaseAssociation();
                char uidName[128] = {0};
                vxd_uid_name(kinds[i].first.c_str(), uidName, sizeof uidName);
                return vxd::fail(error, VXD_NETWORK, name, "the peer does not accept " + std::string(*uidName ? uidName : kinds[i].first.c_str()) +
                                                               " (" + files[i] + "); nothing was sent");
            }
            contexts.push_back(pc);
        }
        for (int32_t i = 0; i < count; ++i) {
            const T_ASC_PresentationContextID pc = contexts[i];
            Uint16 status = 0xFFFF;
            vxd::LogCapture quiet;  // DCMTK's own account of a failure is on stderr otherwise
            OFCondition cond = scu.sendSTORERequest(pc, OFFilename(files[i]), nullptr, status);
            if (cond.bad()) {
                scu.closeAssociation(DCMSCU_ABORT_ASSOCIATION);
                return vxd::fail(error, VXD_NETWORK, name, "C-STORE of " + std::string(files[i]) + " failed: " + networkFailure(cond, peer));
            }
            out_status[i] = status;
        }
        scu.releaseAssociation();
        return VXD_OK;
    });
}

} // extern "C"
