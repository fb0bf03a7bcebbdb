import AtelierDomain
import Foundation

/// How every export shows a sheet's values: driven by the form of the workshop's call, so a plan
/// with another form exports its own columns with no code change (docs/export.md).
public enum FormExport {
    /// A column of the projects table: a field, or a part of a single (non-repeated) group. A
    /// repeated group is one column summing up its rows (CSV) or its own sheet (XLSX).
    public struct Column: Sendable {
        public var header: String
        public var field: FormField
        public var part: FormField?
    }

    public static func columns(_ form: CallForm, repeatedGroups: Bool = true) -> [Column] {
        var out: [Column] = []
        for f in form.fields {
            if f.type == .group && !f.isRepeatedGroup {
                for c in f.fields ?? [] { out.append(Column(header: "\(f.label.fr) — \(c.label.fr)", field: f, part: c)) }
            } else if f.type != .group || repeatedGroups {
                out.append(Column(header: f.label.fr, field: f, part: nil))
            }
        }
        return out
    }

    /// The value a column shows for a sheet.
    public static func value(_ c: Column, of s: ProjectSheet) -> FieldValue? {
        guard let v = s.values[c.field.id] else { return nil }
        if let part = c.part { return v[part.id] }
        return v
    }

    /// A value as one line of text for a person (labels in French, cards by their text).
    public static func text(_ v: FieldValue?, _ f: FormField, in w: Workshop) -> String {
        guard let v, v != .null else { return "" }
        switch f.type {
        case .yesNo: return v.bool.map { $0 ? "oui" : "non" } ?? ""
        case .integer, .euros: return v.int.map(String.init) ?? ""
        case .choice: return v.string.map { id in f.options?.first { $0.id == id }?.label.fr ?? id } ?? ""
        case .choices: return (v.list ?? []).compactMap(\.string).map { id in f.options?.first { $0.id == id }?.label.fr ?? id }.joined(separator: " | ")
        case .orientations: return v.string.map { id in w.orientations.first { $0.id == id }?.title ?? id } ?? ""
        case .constats: return (v.list ?? []).compactMap(\.string).map { id in w.form.constats.first { $0.id == id }?.title.fr ?? id }.joined(separator: " | ")
        case .problemCards, .ideaCards:
            // Hidden cards stay out of every export.
            return (v.list ?? []).compactMap(\.string).compactMap { w.cards[$0] }.filter { !$0.hidden }.map(\.text).joined(separator: " | ")
        case .group:
            let rows = f.isRepeatedGroup ? (v.list ?? []) : [v]
            return rows.map { row in
                (f.fields ?? []).compactMap { c in
                    let t = text(row[c.id], c, in: w)
                    return t.isEmpty ? nil : t
                }.joined(separator: ", ")
            }.filter { !$0.isEmpty }.joined(separator: " | ")
        case .text, .longText, .date, .siret, .email, .phone: return v.string ?? ""
        }
    }

    /// A value as a typed spreadsheet cell: euros as numbers with the euro format, counts as
    /// numbers, dates as dates, SIRET / phone / ids as text.
    public static func cell(_ v: FieldValue?, _ f: FormField, in w: Workshop) -> XLSXExport.Cell {
        guard let v, v != .null else { return .empty }
        switch f.type {
        case .euros: return v.int.map(XLSXExport.Cell.euros) ?? .empty
        case .integer: return v.int.map(XLSXExport.Cell.int) ?? .empty
        case .date:
            guard let s = v.string, let ms = dayMilliseconds(s) else { return .empty }
            return .day(ms)
        default:
            let t = text(v, f, in: w)
            return t.isEmpty ? .empty : .text(t)
        }
    }

    /// The workshop's day ("2026-11-29"), in its time zone: when `workshop.created` was journaled.
    public static func day(of w: Workshop) -> String {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: w.timeZone) ?? TimeZone(identifier: "Europe/Paris")!
        let c = cal.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(w.createdAt) / 1000))
        return String(format: "%04d-%02d-%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0)
    }

    /// "2027-01-15" as milliseconds since 1970 at midnight UTC.
    static func dayMilliseconds(_ s: String) -> Int64? {
        let p = s.split(separator: "-").compactMap { Int($0) }
        guard p.count == 3 else { return nil }
        var c = DateComponents(); c.year = p[0]; c.month = p[1]; c.day = p[2]
        var cal = Calendar(identifier: .gregorian); cal.timeZone = TimeZone(identifier: "UTC")!
        return cal.date(from: c).map { Int64($0.timeIntervalSince1970) * 1000 }
    }

    /// The cards a sheet links in fields of a type (problem cards, idea cards), in form order.
    public static func cards(_ s: ProjectSheet, _ type: FieldType, form: CallForm) -> [CardID] {
        var out: [CardID] = []
        for f in form.fields where f.type == type {
            for id in s.values[f.id]?.list?.compactMap(\.string) ?? [] where !out.contains(id) { out.append(id) }
        }
        return out
    }
}
