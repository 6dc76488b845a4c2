import Foundation
import VoxSAMCore

/// A parsed NRRD header: the fields (`key: value`) and key/value pairs (`key:=value`), in order.
public struct NRRDHeader: Sendable {
    public var magic: String
    public var fields: [(key: String, value: String)] = []
    public var keyValues: [(key: String, value: String)] = []

    public init(magic: String = "NRRD0004") { self.magic = magic }

    public func field(_ key: String) -> String? {
        let k = key.lowercased()
        return fields.first { $0.key.lowercased() == k }?.value
    }

    public func keyValue(_ key: String) -> String? { keyValues.first { $0.key == key }?.value }

    /// Parses the header text (everything before the blank line). Field names are case-insensitive
    /// and `space directions`/`space origin` keep their vectors as text.
    static func parse(_ text: Substring, path: String) throws -> NRRDHeader {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? $0.dropLast() : $0
        }
        guard let first = lines.first, first.hasPrefix("NRRD000") else {
            throw VoxSAMError(.corruptFile, "not a NRRD file: the first line must be NRRD000N", path: path)
        }
        var h = NRRDHeader(magic: String(first))
        lines.removeFirst()
        for (n, line) in lines.enumerated() {
            if line.isEmpty || line.hasPrefix("#") { continue }
            if let r = line.range(of: ":=") {
                h.keyValues.append((String(line[..<r.lowerBound]), String(line[r.upperBound...])))
            } else if let r = line.range(of: ": ") {
                h.fields.append((String(line[..<r.lowerBound]).trimmingCharacters(in: .whitespaces),
                                 String(line[r.upperBound...]).trimmingCharacters(in: .whitespaces)))
            } else {
                throw VoxSAMError(.corruptFile, "NRRD header line \(n + 2) is neither `field: value` nor `key:=value`: \(line)", path: path)
            }
        }
        return h
    }

    /// The header as text, ending with the blank line that separates it from the data.
    var text: String {
        var s = magic + "\n"
        for f in fields { s += "\(f.key): \(f.value)\n" }
        for kv in keyValues { s += "\(kv.key):=\(kv.value)\n" }
        return s + "\n"
    }
}

/// `(x,y,z)` vector parsing/formatting as NRRD writes it; "none" gives nil.
enum NRRDVector {
    static func parseList(_ s: String, path: String, field: String) throws -> [[Double]?] {
        var out: [[Double]?] = []
        var rest = Substring(s)
        while let c = rest.first {
            if c == " " || c == "\t" { rest = rest.dropFirst(); continue }
            if rest.hasPrefix("none") { out.append(nil); rest = rest.dropFirst(4); continue }
            guard c == "(", let close = rest.firstIndex(of: ")") else {
                throw VoxSAMError(.corruptFile, "NRRD field `\(field)` is malformed: \(s)", path: path)
            }
            let inner = rest[rest.index(after: rest.startIndex)..<close]
            let comps = inner.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard comps.allSatisfy({ $0 != nil }) else {
                throw VoxSAMError(.corruptFile, "NRRD field `\(field)` has a non-numeric vector: (\(inner))", path: path)
            }
            out.append(comps.map { $0! })
            rest = rest[rest.index(after: close)...]
        }
        return out
    }

    /// Refuses a vector that is not three finite numbers (or is zero when `nonZero`); `name`
    /// is the field as messages show it ("space directions: vector 2").
    static func check(_ v: [Double], name: String, nonZero: Bool, path: String) throws {
        let text = "(" + v.map { fmt($0) }.joined(separator: ",") + ")"
        guard v.count == 3 else {
            throw VoxSAMError(.corruptFile, "\(name) has \(v.count) components \(text); expected 3", path: path)
        }
        guard v.allSatisfy(\.isFinite) else {
            throw VoxSAMError(.geometry, "\(name) is not finite: \(text)", path: path)
        }
        if nonZero && v.allSatisfy({ $0 == 0 }) {
            throw VoxSAMError(.geometry, "\(name) is zero", path: path)
        }
    }

    static func format(_ v: SIMD3<Double>) -> String {
        "(\(fmt(v.x)),\(fmt(v.y)),\(fmt(v.z)))"
    }

    /// Shortest text that reads back as the same Double.
    static func fmt(_ d: Double) -> String {
        d.isFinite && d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : "\(d)"
    }
}
