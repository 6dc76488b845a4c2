import Foundation
import Hummingbird
import Logging
import NIOCore
import VoxSAMCore
import VoxSAMProtocol
import VoxSAMSegment

/// `voxsam serve`'s settings.
public struct ServeSettings: Sendable {
    public var host = "127.0.0.1"
    public var port = 8000
    /// The server's own folder of uploads and saved labels.
    public var datastore: String
    public var maxUploadBytes = 512 << 20
    /// Inference requests that may wait for the model; more get 503.
    public var queueCapacity = 8
    /// A request that waited this long for the model is refused instead of run.
    public var requestTimeout = 300.0
    /// Connections idle this long are closed.
    public var connectionIdleSeconds = 120.0
    /// Sessions idle this long are removed (uploads with them) and their memory freed.
    public var sessionIdleSeconds = 600.0
    /// At most this many images held in memory (volume + embeddings); the least recently used is unloaded.
    public var maxLoadedImages = 4
    /// Bearer token every request but `GET /auth/` must carry (nil: none).
    public var token: String?
    public var protocols: [SegmentationProtocol] = []
    public var precision: Precision = .fp32
    /// Where request log lines go (stderr by default).
    public var log: @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }

    public init(datastore: String) { self.datastore = datastore }
}

/// The MONAI Label REST subset its 3D Slicer and OHIF clients use, over the segmentation job:
/// `GET /info/`, `PUT /datastore/`, `GET /datastore/`, `PUT|GET /datastore/label`, `PUT /session/`,
/// `GET|DELETE /session/{id}`, `POST /infer/{model}`, `GET /auth/`. The model is loaded once; one
/// thread runs it, behind a bounded queue; sessions keep images and slice embeddings in memory.
public final class VoxSAMServer: @unchecked Sendable {
    /// The model served (LiteMedSAM behind the propagation interface).
    public typealias Model = LiteMedSAMSliceModel
    let settings: ServeSettings
    let models: [ServedModel]
    let datastore: Datastore
    let uploads: Datastore
    let sessions: SessionStore
    let worker: ModelWorker
    let service: InferenceService<Model>
    private let counter = NSLock()
    private var requests = 0

    public init(model: Model, modelName: String, settings: ServeSettings) throws {
        self.settings = settings
        models = [ServedModel(name: ServedModel.genericName)] + settings.protocols.map { ServedModel(name: $0.name, segmentationProtocol: $0) }
        datastore = try Datastore(directory: settings.datastore)
        uploads = try Datastore(directory: settings.datastore + "/sessions")
        sessions = SessionStore(idleSeconds: settings.sessionIdleSeconds, maxLoaded: settings.maxLoadedImages)
        worker = ModelWorker(capacity: settings.queueCapacity, timeout: settings.requestTimeout)
        let scratch = settings.datastore + "/tmp"
        try? FileManager.default.removeItem(atPath: scratch)
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        service = InferenceService(model: model, modelName: modelName, precision: settings.precision, scratch: scratch)
        // Session uploads of an earlier server run have no session any more.
        for id in uploads.imageIDs() { for e in Datastore.imageEndings + [".dicom"] { try? FileManager.default.removeItem(atPath: "\(uploads.directory)/images/\(id)\(e)") } }
    }

    /// Serves until SIGINT or SIGTERM; `onListening` gets the bound port (useful with port 0).
    public func run(onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let router = Router()
        routes(router)
        let app = Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: .seconds(Int64(settings.connectionIdleSeconds)))),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "VoxSAM/\(VoxSAMVersion.string)"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? 0) },
            logger: { var l = Logger(label: "voxsam.serve"); l.logLevel = .warning; return l }()
        )
        let expiry = Task { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(min(30, max(1, settings.sessionIdleSeconds / 4)) * 1e9))
                worker.later { [self] in
                    for s in sessions.expire() {
                        if let f = s.ownedFiles { try? FileManager.default.removeItem(atPath: f) }
                        settings.log("voxsam serve: session \(Self.tag(s.name)) expired after \(Int(settings.sessionIdleSeconds)) s idle")
                    }
                }
            }
        }
        defer { expiry.cancel() }
        try await app.runService()
    }

    // MARK: Routes

    func routes(_ router: Router<BasicRequestContext>) {
        router.get("auth") { _, _ in Self.json(["enabled": self.settings.token != nil]) }
        router.get("info") { req, _ in await self.handle(req, "GET /info/") { self.info() } }
        router.put("datastore") { req, _ in await self.handle(req, "PUT /datastore/") { try await self.putImage(req) } }
        router.get("datastore") { req, _ in await self.handle(req, "GET /datastore/") { self.listDatastore() } }
        router.put("datastore/label") { req, _ in await self.handle(req, "PUT /datastore/label") { try await self.putLabel(req) } }
        router.get("datastore/label") { req, _ in await self.handle(req, "GET /datastore/label") { try self.getLabel(req) } }
        router.put("session") { req, _ in await self.handle(req, "PUT /session/") { try await self.putSession(req) } }
        router.get("session/:id") { req, ctx in await self.handle(req, "GET /session/{id}") { try self.getSession(ctx.parameters.get("id")) } }
        router.delete("session/:id") { req, ctx in await self.handle(req, "DELETE /session/{id}") { try self.deleteSession(ctx.parameters.get("id")) } }
        router.post("infer/:model") { req, ctx in
            await self.handle(req, "POST /infer/{model}") { try await self.infer(req, model: ctx.parameters.get("model")) }
        }
    }

    /// Checks the token, runs `body`, turns every failure into a JSON error, logs one line.
    func handle(_ req: Request, _ route: String, _ body: () async throws -> Response) async -> Response {
        let started = Date()
        let n: Int = { counter.lock(); defer { counter.unlock() }; requests += 1; return requests }()
        var response: Response
        var detail = ""
        do {
            try authorize(req)
            response = try await body()
        } catch let e as APIError {
            response = Self.error(e); detail = e.message
        } catch let e as VoxSAMError {
            let a = APIError(e, name: "request"); response = Self.error(a); detail = a.message
        } catch let e as any HTTPResponseError where e.status == .contentTooLarge {
            let a = APIError(413, "the upload is larger than \(settings.maxUploadBytes >> 20) MiB (--max-upload-mb)")
            response = Self.error(a); detail = a.message
        } catch {
            let a = APIError(500, "internal error: \(error)"); response = Self.error(a); detail = a.message
        }
        // Image and session IDs may be patients' names: logs carry their hash only.
        var image = ""
        for key in ["image", "session_id", "label"] {
            guard let id = req.uri.queryParameters.get(key), !id.isEmpty else { continue }
            detail = detail.replacingOccurrences(of: id, with: Self.tag(id))
            if key == "image" { image = " image \(Self.tag(id))" }
        }
        settings.log(String(format: "voxsam serve: #%d %@ %d %.3f s%@%@", n, route, response.status.code, Date().timeIntervalSince(started), image,
                            detail.isEmpty ? "" : " (\(detail.prefix(200)))"))
        return response
    }

    /// Logs name images by an 8-character hash of the ID: an ID may be a patient's name.
    static func tag(_ id: String) -> String { "#" + SHA256.hex(of: Array(id.utf8)).prefix(8) }

    func authorize(_ req: Request) throws {
        guard let token = settings.token else { return }
        let given = req.headers[.authorization] ?? ""
        let expected = "Bearer " + token
        // Compared in time independent of where the strings differ.
        let a = Array(given.utf8), b = Array(expected.utf8)
        var diff = a.count ^ b.count
        for i in 0..<min(a.count, b.count) { diff |= Int(a[i] ^ b[i]) }
        guard diff == 0 else { throw APIError(401, "a valid bearer token is required (Authorization: Bearer …)") }
    }

    // MARK: Handlers

    func info() -> Response {
        var labels: [String] = []
        for m in models { for l in m.labels.keys.sorted() where !labels.contains(l) { labels.append(l) } }
        let modelInfo = Dictionary(uniqueKeysWithValues: models.map { m -> (String, [String: Any]) in
            // `deepgrow`: the type whose section of MONAI Label's Slicer plugin has the ROI ("ROI/BBOX
            // prompt") tool and sends `roi`; its Auto Segmentation section (type `segmentation`) sends none.
            (m.name, ["type": "deepgrow", "labels": m.labels, "dimension": 3, "description": m.description,
                      "config": ["roi_required": true, "result_extension": ".nii.gz"]])
        })
        let ids = datastore.imageIDs()
        return Self.json([
            "name": "VoxSAM", "description": "Box-prompted 3D segmentation with LiteMedSAM (native, CPU)",
            "version": VoxSAMVersion.string, "labels": labels, "models": modelInfo,
            "trainers": [String: Any](), "strategies": [String: Any](), "scoring": [String: Any](), "train_stats": [String: Any](),
            "datastore": ["total": ids.count, "completed": ids.filter { !datastore.labelTags($0).isEmpty }.count],
        ])
    }

    func form(_ req: Request) async throws -> [MultipartPart] {
        let buffer = try await req.body.collect(upTo: settings.maxUploadBytes)
        let data = buffer.withUnsafeReadableBytes { Data($0) }
        return try Multipart.parse(data, contentType: req.headers[.contentType])
    }

    func putImage(_ req: Request) async throws -> Response {
        let id = try Datastore.checkID(req.uri.queryParameters.get("image"))
        let parts = try await form(req)
        guard let file = parts.first(where: { $0.name == "file" && $0.filename != nil }) else {
            throw APIError.badRequest("the form has no `file` part with a file name")
        }
        _ = try datastore.storeImage(file.body, id: id, filename: file.filename)
        // The image changed: what was kept of the old one goes.
        if let s = sessions.remove("image:" + id) { worker.later { s.unload() } }
        return Self.json(["image": id])
    }

    func listDatastore() -> Response {
        var objects: [String: Any] = [:]
        for id in datastore.imageIDs() {
            objects[id] = ["image": ["ext": "", "info": [String: Any]()], "labels": Dictionary(uniqueKeysWithValues: datastore.labelTags(id).map { ($0, [String: Any]()) })]
        }
        return Self.json(["name": "VoxSAM datastore", "objects": objects])
    }

    func putLabel(_ req: Request) async throws -> Response {
        let id = try Datastore.checkID(req.uri.queryParameters.get("image"))
        let tag = try Datastore.checkID(req.uri.queryParameters.get("tag").flatMap { $0.isEmpty ? nil : $0 } ?? "final", what: "tag")
        guard datastore.imagePath(id) != nil else { throw APIError.notFound("no image `\(id)` in the datastore") }
        let parts = try await form(req)
        guard let file = parts.first(where: { $0.name == "label" && $0.filename != nil }) else {
            throw APIError.badRequest("the form has no `label` part with a file name")
        }
        _ = try datastore.storeLabel(file.body, id: id, tag: tag, filename: file.filename)
        return Self.json(["image": id, "label": id, "tag": tag])
    }

    func getLabel(_ req: Request) throws -> Response {
        let id = try Datastore.checkID(req.uri.queryParameters.get("label") ?? req.uri.queryParameters.get("image"), what: "label")
        let tag = try Datastore.checkID(req.uri.queryParameters.get("tag").flatMap { $0.isEmpty ? nil : $0 } ?? "final", what: "tag")
        guard let path = datastore.labelPath(id, tag: tag), let data = FileManager.default.contents(atPath: path) else {
            throw APIError.notFound("no label `\(id)` with tag `\(tag)`")
        }
        return Self.file(data, filename: id + Datastore.labelEndings.filter { path.hasSuffix($0) }.max(by: { $0.count < $1.count })!)
    }

    func putSession(_ req: Request) async throws -> Response {
        let parts = try await form(req).filter { $0.filename != nil }
        guard !parts.isEmpty else { throw APIError.badRequest("the form has no file part (`files`)") }
        let id = UUID().uuidString.lowercased()
        let path: String
        if parts.count == 1 {
            path = try uploads.storeImage(parts[0].body, id: id, filename: parts[0].filename)
        } else {
            // Several files: the slices of one DICOM series, stored as numbered files.
            let folder = "\(uploads.directory)/images/\(id).dicom"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for (n, p) in parts.enumerated() { try AtomicWrite.write(p.body, to: "\(folder)/\(String(format: "%05d", n + 1)).dcm") }
            path = folder
        }
        let s = sessions.session("session:" + id) { Session(key: "session:" + id, name: id, imagePath: path, ownedFiles: path) }
        return Self.json(["session_id": id, "session_info": sessionInfo(s)])
    }

    func sessionInfo(_ s: Session) -> [String: Any] {
        ["name": s.name, "created_ts": Int(s.created.timeIntervalSince1970), "last_access_ts": Int(s.lastUsed.timeIntervalSince1970),
         "expiry": Int(settings.sessionIdleSeconds)]
    }

    func getSession(_ id: String?) throws -> Response {
        let id = try Datastore.checkID(id, what: "session")
        guard let s = sessions.get("session:" + id) else { throw APIError.notFound("no session `\(id)` (expired or never made)") }
        return Self.json(["session_id": id, "session_info": sessionInfo(s)])
    }

    func deleteSession(_ id: String?) throws -> Response {
        let id = try Datastore.checkID(id, what: "session")
        guard let s = sessions.remove("session:" + id) else { throw APIError.notFound("no session `\(id)` (expired or never made)") }
        worker.later { if let f = s.ownedFiles { try? FileManager.default.removeItem(atPath: f) } }
        return Self.json(["session_id": id])
    }

    func infer(_ req: Request, model name: String?) async throws -> Response {
        guard let served = models.first(where: { $0.name == name }) else {
            throw APIError.notFound("unknown model `\(name ?? "")`; the models are \(models.map(\.name).joined(separator: ", "))")
        }
        let output = req.uri.queryParameters.get("output") ?? ""
        guard ["", "image", "json", "all"].contains(output) else { throw APIError.badRequest("`output` must be image, json or all") }
        let session: Session
        if let sid = req.uri.queryParameters.get("session_id"), !sid.isEmpty {
            let sid = try Datastore.checkID(sid, what: "session_id")
            guard let s = sessions.get("session:" + sid) else { throw APIError.notFound("no session `\(sid)` (expired or never made): upload the image again") }
            session = s
        } else {
            let id = try Datastore.checkID(req.uri.queryParameters.get("image"))
            guard let path = datastore.imagePath(id) else { throw APIError.notFound("no image `\(id)` in the datastore: upload it first (PUT /datastore/?image=\(id))") }
            session = sessions.session("image:" + id) { Session(key: "image:" + id, name: id, imagePath: path) }
        }
        let parts = try await form(req)
        if parts.contains(where: { $0.name == "file" && $0.filename != nil }) {
            throw APIError.badRequest("send the image first (PUT /datastore/ or PUT /session/), then infer by its ID")
        }
        let params = try InferParams(json: parts.first(where: { $0.name == "params" })?.text)
        let service = service, sessions = sessions
        let reply = try await worker.run { () throws -> InferReply in
            sessions.makeRoom(keeping: session.key)
            session.lastUsed = Date()
            return try service.infer(params, served: served, session: session)
        }
        settings.log("voxsam serve: model \(served.name): \(reply.params["encoded_slices"] ?? 0) slices encoded, \(reply.params["cached_slices"] ?? 0) from the session")
        switch output {
        case "image": return Self.file(reply.file, filename: reply.filename)
        case "json": return Self.json(Self.plain(reply.params))
        default:
            let paramsJSON = (try? JSONSerialization.data(withJSONObject: Self.plain(reply.params), options: [.sortedKeys])) ?? Data("{}".utf8)
            let (type, body) = Multipart.encode([
                MultipartPart(name: "params", contentType: "application/json", body: paramsJSON),
                MultipartPart(name: "image", filename: reply.filename, contentType: "application/octet-stream", body: reply.file),
            ])
            return Response(status: .ok, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
    }

    // MARK: Responses

    static func plain(_ d: [String: any Sendable]) -> [String: Any] { d.mapValues { $0 as Any } }

    static func json(_ object: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }


    static func file(_ data: Data, filename: String) -> Response {
        Response(status: .ok, headers: [.contentType: "application/octet-stream", .contentDisposition: "attachment; filename=\"\(filename)\""],
                 body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func error(_ e: APIError) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let r = e.retryAfter { headers[.retryAfter] = String(r) }
        if e.status == 401 { headers[.wwwAuthenticate] = "Bearer" }
        return Response(status: HTTPResponse.Status(code: e.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: e.body)))
    }
}
