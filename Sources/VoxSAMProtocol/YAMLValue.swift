import Foundation
import VoxSAMCore
import Yams

/// A YAML node together with where it came from (file, line, field path), so that every problem
/// found while reading a protocol can be reported as `FILE:LINE: FIELD: problem`.
struct YAMLValue {
    let node: Node
    /// Dotted field path, e.g. `structures[2].label` (empty for the document root).
    let field: String
    let file: String
    /// Line to report when the node has no mark of its own.
    let fallbackLine: Int

    var line: Int { node.mark?.line ?? fallbackLine }

    /// `FILE:LINE: FIELD: message` as a VoxSAMError (path = `FILE:LINE`).
    func error(_ message: String) -> VoxSAMError {
        YAMLValue.error(file: file, line: line, field: field, message)
    }

    static func error(file: String, line: Int, field: String, _ message: String) -> VoxSAMError {
        VoxSAMError(.invalidArgument, field.isEmpty ? message : "\(field): \(message)", path: "\(file):\(line)")
    }

    func child(_ node: Node, field sub: String) -> YAMLValue {
        YAMLValue(node: node, field: field.isEmpty ? sub : "\(field).\(sub)", file: file, fallbackLine: line)
    }

    var isNull: Bool {
        if case .scalar(let s) = node { return s.tag == Tag(.null) || (s.style == .plain && ["", "~", "null", "Null", "NULL"].contains(s.string)) }
        return false
    }

    private var kind: String {
        switch node {
        case .scalar: return isNull ? "nothing" : "a single value"
        case .mapping: return "a mapping (key: value lines)"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    // MARK: Scalars

    /// A non-empty string.
    func string() throws -> String {
        guard case .scalar(let s) = node, !isNull else { throw error("expected text, found \(kind)") }
        let t = s.string.trimmingCharacters(in: .whitespaces)
        guard !t.isEmpty else { throw error("must not be empty") }
        return t
    }

    func int() throws -> Int {
        guard case .scalar(let s) = node, !isNull else { throw error("expected a whole number, found \(kind)") }
        guard let v = Int(s.string.trimmingCharacters(in: .whitespaces)) else {
            throw error("`\(s.string)` is not a whole number")
        }
        return v
    }

    func double() throws -> Double {
        guard case .scalar(let s) = node, !isNull else { throw error("expected a number, found \(kind)") }
        guard let v = Double(s.string.trimmingCharacters(in: .whitespaces)), v.isFinite else {
            throw error("`\(s.string)` is not a number")
        }
        return v
    }

    /// One of `choices` (case-insensitive); the message lists them.
    func choice(_ choices: [String]) throws -> String {
        let s = try string()
        guard let c = choices.first(where: { $0.caseInsensitiveCompare(s) == .orderedSame }) else {
            throw error("`\(s)` is not one of \(choices.joined(separator: ", "))")
        }
        return c
    }

    // MARK: Collections

    func sequence() throws -> [YAMLValue] {
        guard case .sequence(let seq) = node else { throw error("expected a list, found \(kind)") }
        return seq.enumerated().map { n, item in
            YAMLValue(node: item, field: "\(field)[\(n)]", file: file, fallbackLine: line)
        }
    }

    /// The mapping, refusing keys outside `allowed` (the message suggests a near miss).
    func mapping(allowed: [String]) throws -> YAMLMapping {
        guard case .mapping(let m) = node else { throw error("expected a mapping (key: value lines), found \(kind)") }
        var entries: [(key: String, value: YAMLValue)] = []
        for (k, v) in m {
            guard case .scalar(let ks) = k else {
                throw YAMLValue.error(file: file, line: k.mark?.line ?? line, field: field, "keys must be plain names")
            }
            let key = ks.string
            let keyLine = k.mark?.line ?? line
            guard allowed.contains(key) else {
                var msg = "unknown key; expected one of \(allowed.joined(separator: ", "))"
                if let near = YAMLValue.nearest(key, in: allowed) { msg = "unknown key (did you mean `\(near)`?); expected one of \(allowed.joined(separator: ", "))" }
                throw YAMLValue.error(file: file, line: keyLine, field: field.isEmpty ? key : "\(field).\(key)", msg)
            }
            entries.append((key, YAMLValue(node: v, field: field.isEmpty ? key : "\(field).\(key)", file: file, fallbackLine: keyLine)))
        }
        return YAMLMapping(owner: self, entries: entries)
    }

    /// A spelling in `candidates` within edit distance 2 (or equal ignoring case, `_` and `-`), if any.
    static func nearest(_ word: String, in candidates: [String]) -> String? {
        let norm: (String) -> String = { $0.lowercased().filter { $0 != "_" && $0 != "-" } }
        if let c = candidates.first(where: { norm($0) == norm(word) }) { return c }
        let aliases = ["colour": "color", "labels": "label", "tumor": "tumour"]
        if let a = aliases[word.lowercased()], candidates.contains(a) { return a }
        let scored = candidates.map { ($0, editDistance(Array(word.lowercased()), Array($0.lowercased()))) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= 2 else { return nil }
        return best.0
    }

    private static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev = Array(0...b.count)
        for i in 1...a.count {
            var cur = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            prev = cur
        }
        return prev[b.count]
    }
}

/// A checked YAML mapping: keys are known; values keep their field path and line.
struct YAMLMapping {
    let owner: YAMLValue
    let entries: [(key: String, value: YAMLValue)]

    /// The value of `key`, or nil when absent or explicitly empty (`key:` / `key: null`).
    func optional(_ key: String) -> YAMLValue? {
        guard let v = entries.first(where: { $0.key == key })?.value, !v.isNull else { return nil }
        return v
    }

    /// The value of `key`; a missing key is reported at the mapping's line.
    func required(_ key: String, hint: String = "") throws -> YAMLValue {
        if let v = optional(key) { return v }
        let field = owner.field.isEmpty ? key : "\(owner.field).\(key)"
        let present = entries.contains { $0.key == key }
        throw YAMLValue.error(file: owner.file, line: entries.first(where: { $0.key == key })?.value.line ?? owner.line, field: field,
                              (present ? "has no value" : "missing") + (hint.isEmpty ? "" : "; \(hint)"))
    }

    func has(_ key: String) -> Bool { optional(key) != nil }
}
