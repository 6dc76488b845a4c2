import Foundation
import Hummingbird
import Logging
import NIOCore
import VoxSAMCore
import VoxSAMProtocol
import VoxSAMSegment
#if canImport(Glibc)
import Glibc
#endif

/// `voxsam serve`'s settings.
public struct ServeSettings: Sendable {
    public var host = "127.0.0.1"
    public var port = 8000
    /// The server's own folder of uploads and saved labels (one server per folder).
    public var datastore: String
    public var maxUploadBytes = 512 << 20
    /// Uploads received at once; more get 503.
    public var maxConcurrentUploads = 4
    /// Inference requests in the server at once (running and waiting); more get 503.
    public var queueCapacity = 8
    /// A request that waited this long for the model is refused instead of run.
    public var requestTimeout = 300.0
    /// Connections idle this long are closed.
    public var connectionIdleSeconds = 120.0
    /// Sessions idle this long are removed (uploads with them) and their memory freed.
    public var sessionIdleSeconds = 600.0
    /// At most this many images held in memory (volume + embeddings), and this many bytes together;
    /// the least recently used are unloaded.
    public var maxLoadedImages = 4
    public var maxMemoryBytes = 8 << 30
    /// Bearer token every request but `/auth/…` must carry (nil: none).
    public var token: String?
    /// An origin allowed to call from a browser (CORS), e.g. OHIF's `http://localhost:3000`.
    public var corsOrigin: String?
    public var protocols: [SegmentationProtocol] = []
    public var precision: Precision = .fp32
    /// A PACS the images come from (`--pacs`, as OHIF's MONAI Label mode expects): an image ID that
    /// is a SeriesInstanceUID and not in the datastore is fetched from it into a private folder
    /// (the folder and how to remove it), then stored in the datastore under that ID.
    public var pacs: (name: String, fetch: @Sendable (_ seriesUID: String) throws -> (folder: String, remove: @Sendable () -> Void))?
    /// Where request log lines go (stderr by default).
    public var log: @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }

    public init(datastore: String) { self.datastore = datastore }
}

/// The MONAI Label REST subset its 3D Slicer plugin and Python client use, over the
/// segmentation job: `GET /info/`, `PUT /datastore/`, `GET /datastore/`, `PUT|GET /datastore/label`,
/// `PUT /session/`, `GET|DELETE /session/{id}`, `POST /infer/{model}`, `GET /auth/`,
/// `POST /auth/token`, `GET /auth/token/valid`. The model is loaded once; one thread runs it, behind
/// a bounded queue; sessions keep images and slice embeddings in memory.
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
    /// Uploads and datastore reads run here, off the few threads that serve every request.
    private let io = DispatchQueue(label: "voxsam.serve.io", qos: .utility, attributes: .concurrent)
    private let counter = NSLock()
    private var requests = 0
    private var uploading = 0
    /// Series being fetched from the PACS, by image ID: a second request for one waits for the same fetch.
    private var fetches: [String: Task<Void, any Error>] = [:]
    static let maxConcurrentFetches = 2
    /// Keys the hash that names images in logs (per run: a name cannot be looked up from its hash).
    private let logKey = UUID().uuidString
    private let lockFD: Int32
    /// The datastore folder as given and as resolved: removed from every message a client or log gets.
    private let hiddenPaths: [String]

    public init(model: Model, modelName: String, settings: ServeSettings) throws {
        self.settings = settings
        try FileManager.default.createDirectory(atPath: settings.datastore, withIntermediateDirectories: true)
        // One server per datastore: a second would wipe the first's session uploads and scratch files.
        lockFD = open(settings.datastore + "/.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lockFD >= 0, flock(lockFD, LOCK_EX | LOCK_NB) == 0 else {
            throw VoxSAMError(.invalidArgument, "another voxsam serve uses this datastore; give each server its own --datastore", path: settings.datastore)
        }
        var served = [ServedModel(name: ServedModel.genericName)]
        for p in settings.protocols where !served.contains(where: { $0.name == p.name }) {
            served.append(ServedModel(name: p.name, segmentationProtocol: p))
        }
        models = served
        datastore = try Datastore(directory: settings.datastore)
        uploads = try Datastore(directory: settings.datastore + "/sessions")
        sessions = SessionStore(idleSeconds: settings.sessionIdleSeconds, maxLoaded: settings.maxLoadedImages, maxBytes: settings.maxMemoryBytes)
        worker = ModelWorker(capacity: settings.queueCapacity, timeout: settings.requestTimeout)
        let scratch = settings.datastore + "/tmp"
        try? FileManager.default.removeItem(atPath: scratch)
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        service = InferenceService(model: model, modelName: modelName, precision: settings.precision, scratch: scratch)
        // Session uploads of an earlier run have no session any more.
        try? FileManager.default.removeItem(atPath: uploads.directory + "/images")
        _ = try Datastore(directory: uploads.directory)
        let real = URL(fileURLWithPath: settings.datastore).resolvingSymlinksInPath().path
        hiddenPaths = Array(Set([settings.datastore, URL(fileURLWithPath: settings.datastore).standardizedFileURL.path, real])).sorted { $0.count > $1.count }
    }

    deinit { close(lockFD) }

    /// Serves until SIGINT or SIGTERM; `onListening` gets the bound port (useful with port 0).
    public func run(onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let router = Router()
        router.add(middleware: JSONErrors())
        if let origin = settings.corsOrigin {
            router.add(middleware: CORSMiddleware(allowOrigin: .custom(origin), allowHeaders: [.accept, .authorization, .contentType, .origin],
                                                  allowMethods: [.get, .put, .post, .delete, .options]))
        }
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
                        discard(s)
                        settings.log("voxsam serve: session \(tag(s.name)) expired after \(Int(settings.sessionIdleSeconds)) s idle")
                    }
                }
            }
        }
        defer { expiry.cancel() }
        do {
            try await app.runService()
        } catch let e as IOError {
            throw VoxSAMError(.invalidArgument, "cannot listen on \(settings.host):\(settings.port): \(String(cString: strerror(e.errnoCode)))"
                              + (e.errnoCode == EADDRINUSE ? " (another server on that port? choose another with --port)" : ""))
        }
    }

    /// Frees a session's memory and removes its upload. Call on the model worker's queue.
    func discard(_ s: Session) {
        s.unload()
        if case .upload(let id) = s.source { uploads.removeImage(id) }
    }

    // MARK: Routes

    func routes(_ router: Router<BasicRequestContext>) {
        router.get("auth") { _, _ in Self.json(["enabled": self.settings.token != nil]) }
        router.post("auth/token") { req, _ in await self.handle(req, "POST /auth/token", authorized: false) { try await self.token(req) } }
        router.get("auth/token/valid") { req, _ in await self.handle(req, "GET /auth/token/valid") { Self.json([:]) } }
        router.get("info") { req, _ in await self.handle(req, "GET /info/") { self.info() } }
        router.put("datastore") { req, _ in await self.handle(req, "PUT /datastore/") { try await self.putImage(req) } }
        router.get("datastore") { req, _ in await self.handle(req, "GET /datastore/") { self.listDatastore() } }
        router.put("datastore/label") { req, _ in await self.handle(req, "PUT /datastore/label") { try await self.putLabel(req) } }
        router.get("datastore/label") { req, _ in await self.handle(req, "GET /datastore/label") { try await self.getLabel(req) } }
        router.put("session") { req, _ in await self.handle(req, "PUT /session/") { try await self.putSession(req) } }
        router.get("session/:id") { req, ctx in await self.handle(req, "GET /session/{id}") { try self.getSession(ctx.parameters.get("id")) } }
        router.delete("session/:id") { req, ctx in await self.handle(req, "DELETE /session/{id}") { try self.deleteSession(ctx.parameters.get("id")) } }
        router.post("infer/:model") { req, ctx in
            await self.handle(req, "POST /infer/{model}") { try await self.infer(req, model: ctx.parameters.get("model")) }
        }
    }

    /// Checks the token, runs `body`, turns every failure into a JSON error, logs one line.
    func handle(_ req: Request, _ route: String, authorized needsToken: Bool = true, _ body: () async throws -> Response) async -> Response {
        let started = Date()
        let n: Int = counter.withLock { requests += 1; return requests }
        var response: Response
        var detail = ""
        do {
            if needsToken { try authorize(req) }
            response = try await body()
        } catch {
            var e: APIError
            switch error {
            case let a as APIError: e = a
            case let v as VoxSAMError: e = APIError(v, name: "the request")
            case let h as any HTTPResponseError where h.status == .contentTooLarge:
                e = APIError(413, "the request is larger than \(settings.maxUploadBytes >> 20) MiB (--max-upload-mb)")
            default: e = APIError(500, "internal error: \(error)")
            }
            // Neither a client nor the log gets the datastore's paths or a client's IDs.
            e.message = scrub(e.message, req)
            detail = e.message
            if e.status >= 500, e.status != 503, e.status != 507 { e.message = "internal error (#\(n) in the server's log)" }
            response = Self.error(e)
        }
        let image = Self.query(req)["image"].map { " image \(tag($0))" } ?? ""
        settings.log(String(format: "voxsam serve: #%d %@ %d %.3f s%@%@", n, route, response.status.code, Date().timeIntervalSince(started), image,
                            detail.isEmpty ? "" : " (\(detail.prefix(300)))"))
        return response
    }

    private func scrub(_ message: String, _ req: Request) -> String {
        var m = message
        for p in hiddenPaths where !p.isEmpty { m = m.replacingOccurrences(of: p, with: "<datastore>") }
        for (key, id) in Self.query(req) where ["image", "session_id", "label"].contains(key) && id.count >= 2 {
            m = m.replacingOccurrences(of: id, with: tag(id))
        }
        return m
    }

    /// Logs and messages name images by a hash of the ID, keyed per run: an ID may be a patient's name.
    func tag(_ id: String) -> String { "#" + SHA256.hex(of: Array((logKey + "\n" + id).utf8)).prefix(8) }

    /// Query parameters as MONAI Label's clients encode them (`quote_plus`: `+` is a space).
    static func query(_ req: Request) -> [String: String] {
        guard let raw = req.uri.query else { return [:] }
        var out: [String: String] = [:]
        for pair in raw.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String { String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s) }
            let key = decode(kv[0])
            if out[key] == nil { out[key] = kv.count > 1 ? decode(kv[1]) : "" }
        }
        return out
    }

    func authorize(_ req: Request) throws {
        guard let token = settings.token else { return }
        let given = req.headers[.authorization] ?? ""
        let parts = given.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", Self.same(String(parts[1]), token) else {
            throw APIError(401, "a valid bearer token is required (Authorization: Bearer …)")
        }
    }

    /// Compared in time independent of where the strings differ.
    static func same(_ x: String, _ y: String) -> Bool {
        let a = Array(x.utf8), b = Array(y.utf8)
        var diff = a.count ^ b.count
        for i in 0..<min(a.count, b.count) { diff |= Int(a[i] ^ b[i]) }
        return diff == 0
    }

    /// Runs blocking file work off the request threads.
    func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { c in io.async { c.resume(with: Result { try work() }) } }
    }

    // MARK: Handlers

    /// `POST /auth/token` (form `username`, `password`): MONAI Label's Slicer plugin logs in so when
    /// `/auth/` says auth is on. The password is the server's token; the reply carries it back.
    func token(_ req: Request) async throws -> Response {
        guard let token = settings.token else { throw APIError.notFound("authentication is off (no --token-file)") }
        let body = try await req.body.collect(upTo: 64 << 10)
        var form = URLComponents()
        form.percentEncodedQuery = String(buffer: body).replacingOccurrences(of: "+", with: "%20")
        let password = form.queryItems?.first { $0.name == "password" }?.value ?? ""
        guard Self.same(password, token) else { throw APIError(401, "wrong password (it is the server's token)") }
        return Self.json(["access_token": token, "token_type": "bearer"])
    }

    func info() -> Response {
        var labels: [String] = []
        for m in models { for l in m.labels.keys.sorted() where !labels.contains(l) { labels.append(l) } }
        var modelInfo: [String: Any] = [:]
        for m in models {
            // `deepgrow`: the type whose section of MONAI Label's Slicer plugin has the ROI ("ROI/BBOX
            // prompt") tool and sends `roi`; its Auto Segmentation section (type `segmentation`) sends none.
            modelInfo[m.name] = ["type": "deepgrow", "labels": m.labels, "dimension": 3, "description": m.description,
                                 "config": ["result_extension": ".nii.gz"]]
        }
        let images = datastore.images()
        return Self.json([
            "name": "VoxSAM", "description": "Box-prompted 3D segmentation with LiteMedSAM (native, CPU)",
            "version": VoxSAMVersion.string, "labels": labels, "models": modelInfo,
            "trainers": [String: Any](), "strategies": [String: Any](), "scoring": [String: Any](), "train_stats": [String: Any](),
            "datastore": ["total": images.count, "completed": images.filter { !datastore.labels($0.id).isEmpty }.count],
        ])
    }

    /// The parts of a multipart request body, within the upload limit and the number of uploads at once.
    func form(_ req: Request, maxParts: Int = Multipart.maxParts) async throws -> [MultipartPart] {
        let admitted = counter.withLock { () -> Bool in
            guard uploading < settings.maxConcurrentUploads else { return false }
            uploading += 1
            return true
        }
        guard admitted else { throw APIError(503, "the server is receiving \(settings.maxConcurrentUploads) uploads; try again", retryAfter: 5) }
        defer { counter.withLock { uploading -= 1 } }
        let buffer = try await req.body.collect(upTo: settings.maxUploadBytes)
        let type = req.headers[.contentType]
        return try await offload {
            // The parts copy what they keep: the body is read in place.
            try buffer.withUnsafeReadableBytes { raw in
                let body = raw.count == 0 ? Data() : Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: raw.baseAddress!), count: raw.count, deallocator: .none)
                return try Multipart.parse(body, contentType: type, maxParts: maxParts)
            }
        }
    }

    func putImage(_ req: Request) async throws -> Response {
        let id = try Datastore.checkID(Self.query(req)["image"])
        let parts = try await form(req)
        guard let file = parts.first(where: { $0.name == "file" && $0.filename != nil }) else {
            throw APIError.badRequest("the form has no `file` part with a file name")
        }
        let datastore = datastore
        _ = try await offload { try datastore.storeImage(file.body, id: id, filename: file.filename) }
        // The image changed: what was kept of the old one goes.
        if let s = sessions.remove("image:" + id) { worker.later { s.unload() } }
        return Self.json(["image": id])
    }

    /// An image the datastore lacks: with `--pacs` and a SeriesInstanceUID as its ID, the series is
    /// fetched from the PACS (at most two at once, off the request threads; requests for a series
    /// being fetched wait for that fetch) and stored under the ID unless an upload came first.
    func fetchFromPACS(_ id: String) async throws {
        guard let pacs = settings.pacs, Datastore.isUID(id) else {
            throw APIError.notFound("no image `\(id)` in the datastore: upload it first (PUT /datastore/?image=…)"
                                    + (settings.pacs == nil ? "" : ", or name a series of the PACS by its SeriesInstanceUID"))
        }
        let task = try counter.withLock { () throws -> Task<Void, any Error> in
            if let t = fetches[id] { return t }
            guard fetches.count < Self.maxConcurrentFetches else {
                throw APIError(503, "the server is fetching \(Self.maxConcurrentFetches) series from the PACS; try again", retryAfter: 10)
            }
            let datastore = datastore, log = settings.log
            let t = Task { [self] in
                defer { counter.withLock { fetches[id] = nil } }
                _ = try await offload { () throws -> String in
                    let fetched: (folder: String, remove: @Sendable () -> Void)
                    do { fetched = try pacs.fetch(id) } catch let e as VoxSAMError {
                        // What the client and the log get: the kind of failure, never the peer's text
                        // (it may carry study or patient identifiers).
                        log("voxsam serve: a fetch from \(pacs.name) failed: \(e.isSeriesNotFound ? "no such series" : e.code == .writeFailed ? "cannot store" : "the PACS failed") (\(Self.withoutUIDs(e.message)))")
                        if e.isSeriesNotFound { throw APIError(404, "the PACS has no such series") }
                        if e.code == .writeFailed { throw APIError(507, "the server cannot store the series from the PACS") }
                        throw APIError(502, "the PACS could not give the series (see the server's log)")
                    }
                    defer { fetched.remove() }
                    return try datastore.storeFolder(fetched.folder, id: id)
                }
                log("voxsam serve: fetched a series from \(pacs.name)")
            }
            fetches[id] = t
            return t
        }
        try await task.value
    }

    /// A message with DICOM UIDs (and other long digit-and-dot runs) replaced, for the log.
    static func withoutUIDs(_ text: String) -> String {
        text.replacingOccurrences(of: #"[0-9]+(\.[0-9]+){2,}"#, with: "<uid>", options: .regularExpression)
    }

    /// `params` of an infer form; a file in it is refused (images are sent first, then named).
    static func inferParams(_ parts: [MultipartPart]) throws -> InferParams {
        if parts.contains(where: { $0.name == "file" && $0.filename != nil }) {
            throw APIError.badRequest("send the image first (PUT /datastore/ or PUT /session/), then infer by its ID")
        }
        return try InferParams(json: parts.first(where: { $0.name == "params" })?.text)
    }

    func listDatastore() -> Response {
        var objects: [String: Any] = [:]
        for (id, ending) in datastore.images() {
            var labels: [String: Any] = [:]
            for (tag, e) in datastore.labels(id) { labels[tag] = ["ext": e, "info": [String: Any]()] }
            objects[id] = ["image": ["ext": ending, "info": [String: Any]()], "labels": labels]
        }
        return Self.json(["name": "VoxSAM datastore", "objects": objects])
    }

    func putLabel(_ req: Request) async throws -> Response {
        let q = Self.query(req)
        let id = try Datastore.checkID(q["image"])
        let tag = try Datastore.checkTag(q["tag"])
        guard datastore.imagePath(id) != nil else { throw APIError.notFound("no image `\(id)` in the datastore") }
        let parts = try await form(req)
        guard let file = parts.first(where: { $0.name == "label" && $0.filename != nil }) else {
            throw APIError.badRequest("the form has no `label` part with a file name")
        }
        let datastore = datastore
        _ = try await offload { try datastore.storeLabel(file.body, id: id, tag: tag, filename: file.filename) }
        return Self.json(["image": id, "label": id, "tag": tag])
    }

    func getLabel(_ req: Request) async throws -> Response {
        let q = Self.query(req)
        let id = try Datastore.checkID(q["label"] ?? q["image"], what: "label")
        let tag = try Datastore.checkTag(q["tag"])
        guard let path = datastore.labelPath(id, tag: tag) else { throw APIError.notFound("no label `\(id)` with tag `\(tag)`") }
        let data = try await offload { () throws -> Data in
            guard let d = FileManager.default.contents(atPath: path) else { throw APIError.notFound("the label `\(id)` was just removed") }
            return d
        }
        return Self.file(data, filename: "label" + path[path.range(of: "/label", options: .backwards)!.upperBound...])
    }

    func putSession(_ req: Request) async throws -> Response {
        let parts = try await form(req, maxParts: Datastore.maxDICOMFiles).filter { $0.filename != nil }
        guard !parts.isEmpty else { throw APIError.badRequest("the form has no file part (`files`)") }
        let id = UUID().uuidString.lowercased()
        let uploads = uploads
        // One file: an image (by its ending); several: the slices of one DICOM series.
        _ = try await offload {
            parts.count == 1 ? try uploads.storeImage(parts[0].body, id: id, filename: parts[0].filename)
                             : try uploads.storeSeries(parts.map(\.body), id: id)
        }
        let s = sessions.session("session:" + id) { Session(key: "session:" + id, source: .upload(id)) }
        return Self.json(["session_id": id, "session_info": sessionInfo(s)])
    }

    func sessionInfo(_ s: Session) -> [String: Any] {
        ["name": s.name, "created_ts": Int(s.created.timeIntervalSince1970), "last_access_ts": Int(sessions.lastUsed(s).timeIntervalSince1970),
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
        worker.later { [self] in discard(s) }
        return Self.json(["session_id": id])
    }

    func infer(_ req: Request, model name: String?) async throws -> Response {
        guard let served = models.first(where: { $0.name == name }) else {
            throw APIError.notFound("unknown model `\(name ?? "")`; the models are \(models.map(\.name).joined(separator: ", "))")
        }
        let q = Self.query(req)
        let output = q["output"] ?? ""
        guard ["", "image", "json", "all"].contains(output) else { throw APIError.badRequest("`output` must be image, json or all") }
        let session: Session
        var checked: InferParams?
        if let sid = q["session_id"], !sid.isEmpty {
            let sid = try Datastore.checkID(sid, what: "session_id")
            guard let s = sessions.get("session:" + sid) else { throw APIError.notFound("no session `\(sid)` (expired or never made): upload the image again") }
            session = s
        } else {
            let id = try Datastore.checkID(q["image"])
            // The request is read and checked before a series is fetched for it.
            checked = try Self.inferParams(try await form(req))
            if datastore.imagePath(id) == nil { try await fetchFromPACS(id) }
            session = sessions.session("image:" + id) { Session(key: "image:" + id, source: .datastore(id)) }
        }
        let params: InferParams
        if let checked { params = checked } else { params = try Self.inferParams(try await form(req)) }
        let (service, sessions, datastore, uploads) = (service, sessions, datastore, uploads)
        let reply = try await worker.run { () throws -> InferReply in
            guard sessions.isCurrent(session) else {
                throw APIError.notFound("the session or image was removed or replaced while this request waited; send it again")
            }
            let path: String?
            switch session.source {
            case .datastore(let id): path = datastore.imagePath(id)
            case .upload(let id): path = uploads.imagePath(id)
            }
            guard let path else { throw APIError.notFound("the image was removed") }
            defer { sessions.makeRoom(keeping: session.key) }
            return try service.infer(params, served: served, session: session, path: path)
        }
        settings.log("voxsam serve: model \(served.name): \(reply.params["encoded_slices"] ?? 0) slices encoded, \(reply.params["cached_slices"] ?? 0) from the session")
        switch output {
        case "image": return Self.file(reply.file, filename: reply.filename)
        case "json": return Self.json(Self.plain(reply.params))
        default:
            let (type, body) = Multipart.encode([
                MultipartPart(name: "params", contentType: "application/json", body: Self.jsonData(Self.plain(reply.params))),
                MultipartPart(name: "image", filename: reply.filename, contentType: "application/octet-stream", body: reply.file),
            ])
            return Response(status: .ok, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
    }

    // MARK: Responses

    /// JSON values: non-finite numbers become null (JSON has none).
    static func plain(_ d: [String: any Sendable]) -> [String: Any] {
        func clean(_ v: Any) -> Any {
            switch v {
            case let x as Double: return x.isFinite ? x : NSNull()
            case let x as Float: return x.isFinite ? Double(x) : NSNull()
            case let a as [Any]: return a.map(clean)
            case let m as [String: Any]: return m.mapValues(clean)
            default: return v
            }
        }
        return d.mapValues { clean($0) }
    }

    static func jsonData(_ object: [String: Any]) -> Data {
        guard let d = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else {
            return Data(#"{"detail":"internal error: a reply could not be encoded as JSON","status":500}"#.utf8)
        }
        return d
    }

    static func json(_ object: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: jsonData(object))))
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

/// Hummingbird's own errors (no route: 404, wrong method: 405) as the JSON errors MONAI Label's
/// clients read.
struct JSONErrors: RouterMiddleware {
    typealias Context = BasicRequestContext
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let e as any HTTPResponseError {
            let message = e.status == .notFound ? "no such endpoint: \(request.method) \(request.uri.path)" : "\(e.status.code) \(e.status.reasonPhrase)"
            return VoxSAMServer.error(APIError(e.status.code, message))
        }
    }
}
