import ArgumentParser
import Foundation
import VoxSAMCheckpoint
import VoxSAMCore
import VoxSAMModel
import VoxSAMPACS
import VoxSAMProtocol
import VoxSAMServe

/// `voxsam serve`: a MONAI Label-compatible server, so that MONAI Label's 3D Slicer plugin (and its
/// Python client) segment with VoxSAM unchanged.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve VoxSAM over the MONAI Label REST API (its 3D Slicer plugin and Python client connect unchanged).",
        discussion: """
        Models: `voxsam` (any structure, named by params.label) and one per shipped protocol (its structures). A client
        uploads an image (PUT /datastore/?image=ID or PUT /session/: NIfTI, NRRD, .npz or a zipped DICOM series), then
        POST /infer/MODEL?image=ID with params {"roi": [i0,i1,j0,j1,k0,k1], "label": NAME}: the ROI in voxel indices
        (inclusive) is the box, the first foreground click inside it picks the start slice. The reply is the label map
        (NIfTI or NRRD, params.result_extension). The image and its slice embeddings stay in memory, so the next ROI or
        structure on it runs the decoder only. Errors are JSON {"detail": ...} with a 4xx status (5xx: the server's fault).
        Listens on 127.0.0.1 unless --host says otherwise; use --token-file when others can reach it.

        Examples:
          voxsam serve                                   (then, in 3D Slicer's MONAI Label module: http://127.0.0.1:8000)
          voxsam serve --host 0.0.0.0 --port 8000 --token-file ~/.voxsam-token --datastore /data/voxsam
          voxsam serve --pacs dicomweb://127.0.0.1:8042/dicom-web --cors-origin http://localhost:3000
                                                         (OHIF: images named by SeriesInstanceUID come from the PACS)
        """
    )

    @Option(name: .long, help: "Address to listen on (default 127.0.0.1: this machine only).")
    var host = "127.0.0.1"

    @Option(name: .long, help: "Port (0: any free port, printed when listening).")
    var port = 8000

    @Option(name: .long, help: "The server's folder for uploaded images and saved labels, one server per folder (default $XDG_CACHE_HOME/voxsam/datastore, else ~/.cache/voxsam/datastore).")
    var datastore: String?

    @Option(name: .long, help: "File holding a bearer token every request must carry (Authorization: Bearer TOKEN).")
    var tokenFile: String?

    @Option(name: .long, help: "Largest request body in MiB (uploads).")
    var maxUploadMb = 512

    @Option(name: .long, help: "Inference requests in the server at once, running and waiting; more are refused with 503 and Retry-After.")
    var queue = 8

    @Option(name: .long, help: "Seconds a request may wait for the model before it is refused (503).")
    var requestTimeout = 300.0

    @Option(name: .long, help: "Seconds an idle session is kept (its image, embeddings and uploads are then removed).")
    var sessionIdle = 600.0

    @Option(name: .long, help: "Images held in memory at once (volume and slice embeddings, ~4 MiB per encoded slice); the least recently used is unloaded.")
    var maxImages = 4

    @Option(name: .long, help: "Memory for the images held, in MiB; the least recently used are unloaded beyond it.")
    var maxMemoryMb = 8192

    @Option(name: .long, help: "An origin allowed to call the server from a browser (CORS), e.g. OHIF's http://localhost:3000.")
    var corsOrigin: String?

    @Option(name: .long, help: "A PACS the images come from: dicomweb://HOST:PORT/PATH or dimse://AET@HOST:PORT. An infer on an image ID that is a SeriesInstanceUID not in the datastore fetches that series (as OHIF's MONAI Label mode names images).")
    var pacs: String?

    @OptionGroup var pacsOptions: PACSOptions
    @OptionGroup var modelOptions: ModelOptions

    func run() throws {
        var settings = ServeSettings(datastore: datastore ?? ModelStore.cacheRoot().path + "/datastore")
        guard (0...65535).contains(port) else { throw VoxSAMError(.invalidArgument, "--port \(port) is not a TCP port (0 to 65535)") }
        guard maxUploadMb > 0, queue > 0, maxImages > 0, maxMemoryMb > 0, requestTimeout > 0, sessionIdle > 0 else {
            throw VoxSAMError(.invalidArgument, "--max-upload-mb, --queue, --max-images, --max-memory-mb, --request-timeout and --session-idle must be positive")
        }
        settings.host = host
        settings.port = port
        settings.maxUploadBytes = maxUploadMb << 20
        settings.queueCapacity = queue
        settings.requestTimeout = requestTimeout
        settings.sessionIdleSeconds = sessionIdle
        settings.maxLoadedImages = maxImages
        settings.maxMemoryBytes = maxMemoryMb << 20
        settings.corsOrigin = corsOrigin
        if let pacs {
            let peer = try PACSAddress.destination(pacs, option: "--pacs")
            let client = try pacsOptions.client()
            settings.pacs = (peer.peer, { uid in
                let f = try FetchedSeries(try client.locateSeries(uid, on: peer), client: client)
                return (f.folder, { f.remove() })
            })
        }
        if let f = tokenFile {
            guard let d = FileManager.default.contents(atPath: f) else { throw VoxSAMError(.notFound, "--token-file cannot be read", path: f) }
            let token = String(decoding: d, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty, !token.contains(where: \.isNewline) else {
                throw VoxSAMError(.invalidArgument, "--token-file must hold one token on one line", path: f)
            }
            settings.token = token
        } else if !["127.0.0.1", "localhost", "::1"].contains(host) {
            FileHandle.standardError.write(Data("voxsam serve: warning: listening on \(host) without --token-file: anyone who reaches this port can upload and segment images\n".utf8))
        }
        settings.precision = try modelOptions.requestedPrecision() ?? .fp32
        // Every shipped protocol is a model; one that does not load, or repeats a name, is left out with a warning.
        func warn(_ m: String) { FileHandle.standardError.write(Data("voxsam serve: warning: \(m)\n".utf8)) }
        for item in ProtocolLibrary.directory().map({ ProtocolLibrary.items(in: $0) }) ?? [] {
            switch item.result {
            case .failure(let e): warn("protocol \(item.path) left out: \(e.message)")
            case .success(let p):
                if p.name == ServedModel.genericName || settings.protocols.contains(where: { $0.name == p.name }) {
                    warn("protocol \(item.path) left out: a model named `\(p.name)` exists")
                    continue
                }
                if let want = p.precision, want != settings.precision {
                    warn("protocol \(p.name) asks for --precision \(want); the server runs \(settings.precision) for every model")
                }
                if p.seriesDescription != nil { warn("protocol \(p.name): series_description is not used by the server (the client sends one series)") }
                settings.protocols.append(p)
            }
        }
        let model = try modelOptions.sliceModel(precision: settings.precision)
        let server = try VoxSAMServer(model: model.model, modelName: model.name, settings: settings)
        let models = ([ServedModel.genericName] + settings.protocols.map(\.name)).joined(separator: ", ")
        let threads = model.model.model.threads
        let folder = settings.datastore
        let done = DispatchSemaphore(value: 0)
        let failure = FailureBox()
        Task {
            do {
                try await server.run { bound in
                    let text = "voxsam serve: listening on http://\(host.contains(":") ? "[\(host)]" : host):\(bound) (models: \(models); \(threads) threads, OpenBLAS \(OpenBLASRuntime.coreName()); datastore \(folder))\n"
                    FileHandle.standardOutput.write(Data(text.utf8))
                }
            } catch { failure.error = error }
            done.signal()
        }
        done.wait()
        if let e = failure.error as? VoxSAMError { throw e }
        if let e = failure.error { throw VoxSAMError(.internal, "the server stopped: \(e)") }
    }
}

private final class FailureBox: @unchecked Sendable { var error: (any Error)? }
