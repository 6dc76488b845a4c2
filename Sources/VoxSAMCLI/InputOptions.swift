import ArgumentParser
import VoxSAMCore
import VoxSAMIO
import VoxSAMPACS

/// How any volume is read (limits and permissions): shared by every command that reads volumes,
/// `batch` included.
struct ReadingOptions: ParsableArguments {
    @Flag(name: .long, help: "DICOM: accept irregular slice spacing (gaps, gantry tilt) by using the mean spacing, with a warning.")
    var allowIrregular = false

    @Option(name: .long, help: "Refuse images of more voxels than this (checked from the header before reading; default \(ReadLimits.defaultMaxVoxels)).")
    var maxVoxels: Int = ReadLimits.defaultMaxVoxels

    @Flag(name: .long, help: "Accept absolute paths in inputs that name other files: NRRD `data file:`, batch `from_mask` (default: only files in the header's / prompts file's folder or below).")
    var allowAbsoluteDataFile = false

    func validate() throws {
        guard maxVoxels > 0 else { throw ValidationError("--max-voxels must be positive") }
    }

    var readOptions: VolumeReadOptions {
        VolumeReadOptions(allowIrregular: allowIrregular, maxVoxels: maxVoxels, allowAbsoluteDataFile: allowAbsoluteDataFile)
    }
}

/// Options every command that reads one volume shares.
struct InputOptions: ParsableArguments {
    @Option(name: .long, help: "DICOM: the SeriesInstanceUID (or series key shown by `voxsam info`) to read when a folder holds several series.")
    var series: String?

    @Option(name: .long, help: "NIfTI 4D: which volume to read (0-based; default: the first, with a warning).")
    var volume: Int?

    @OptionGroup var reading: ReadingOptions

    var readOptions: VolumeReadOptions {
        var o = reading.readOptions
        o.series = series
        o.volumeIndex = volume
        return o
    }
}

/// PACS inputs and pushes: DICOMweb credentials, our DICOM AE title, fetching a `dicomweb://` or
/// `dimse://` input for a run, and sending a result with --push.
struct PACSOptions: ParsableArguments {
    @Option(name: .long, help: "DICOMweb credentials for dicomweb:// inputs and --push: a file holding `Bearer TOKEN` or `Basic USER:PASSWORD` (default: $VOXSAM_DICOMWEB_AUTH; sent over HTTPS, or plain HTTP to this machine only).")
    var dicomwebAuthFile: String?

    @Option(name: .long, help: "Our DICOM AE title for dimse:// inputs and --push (default: $VOXSAM_AET, else VOXSAM). The PACS must know it, with this host, to answer C-FIND and C-GET.")
    var aet: String?

    /// The clients these options describe (credentials and AE title checked now, before any work).
    func client() throws -> PACSClient {
        PACSClient(dicomweb: DICOMwebClient(credentials: try DICOMwebCredentials.load(file: dicomwebAuthFile)), dimse: try DIMSEClient(aet: aet))
    }

    /// `input` as a local path: a series on a PACS (`dicomweb://…/studies/S/series/U`,
    /// `dimse://AET@HOST:PORT/SERIES_UID`) is fetched into a private temporary folder, removed by
    /// `LocalInput.remove()` (and on SIGINT/SIGTERM).
    func localize(_ input: String, client: PACSClient? = nil) throws -> LocalInput {
        guard PACSAddress.isRemote(input) else { return LocalInput(path: input, fetched: nil) }
        let fetched = try FetchedSeries(input, client: try client ?? self.client())
        return LocalInput(path: fetched.folder, fetched: fetched)
    }

    /// Sends the written `files` (DICOM SEG, RTSTRUCT) to `destination`. A failure says the files
    /// are written and stay (exit 6).
    func push(_ files: [String], to destination: PACSAddress, client: PACSClient, quiet: Bool) throws {
        do {
            let warnings = try client.store(files: files, at: destination)
            if !quiet {
                for w in warnings { Diagnostics.warn("\(destination.peer): \(w)") }
                Diagnostics.info("sent \(files.joined(separator: ", ")) to \(destination.peer) (\(destination.service))")
            }
        } catch let e as VoxSAMError {
            throw VoxSAMError(e.code, e.message + "; \(files.joined(separator: ", ")) \(files.count == 1 ? "is" : "are") written and \(files.count == 1 ? "stays" : "stay")",
                              path: e.path, cause: e.cause)
        }
    }
}

/// An input as a local path for one run (see `PACSOptions.localize`).
struct LocalInput {
    let path: String
    let fetched: FetchedSeries?
    func remove() { fetched?.remove() }

    /// Runs `body`; its errors name the PACS address instead of the private folder.
    func naming<T>(_ body: () throws -> T) throws -> T {
        guard let f = fetched else { return try body() }
        do { return try body() } catch let e as VoxSAMError { throw e.renaming(f.folder, to: f.address.description) }
    }
}
