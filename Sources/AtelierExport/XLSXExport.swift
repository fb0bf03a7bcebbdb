import AtelierDomain
import Foundation

/// The workshop's outcome as an Office Open XML workbook (docs/export.md): one sheet per entity,
/// typed cells, a frozen header row and an autofilter on every sheet. The XML is written here and
/// packed in a stored (uncompressed) ZIP with fixed timestamps: the same workshop gives the same
/// bytes. What it shows is what `Outcome` shows (hidden cards left out, dots only once revealed,
/// no claim link, no card authors).
public enum XLSXExport {
    /// A typed cell. Identifiers that look like numbers (SIRET, phone, postcode, file numbers)
    /// are `.text`: never a number, which would lose leading zeros, a "+" or digits.
    public enum Cell: Equatable, Sendable {
        case empty
        case text(String)
        case int(Int)
        /// Whole euros, a number shown with the euro format.
        case euros(Int)
        /// Milliseconds since 1970 on the wall clock (UTC offset already added), shown as a day
        /// and a time.
        case date(Int64)
        /// A day (milliseconds since 1970 at midnight UTC), shown as dd/mm/yyyy.
        case day(Int64)
    }

    public struct Sheet: Sendable {
        public var name: String
        public var header: [String]
        public var rows: [[Cell]]
    }

    /// Style indices of styles.xml's cellXfs.
    enum Style: Int { case plain = 0, header = 1, euros = 2, date = 3, day = 4 }

    public static func document(_ workshop: Workshop) -> [UInt8] {
        package(sheets(workshop))
    }

    // MARK: - Sheets

    public static func sheets(_ workshop: Workshop) -> [Sheet] {
        let outcome = Outcome(workshop)
        let opt: (Int?) -> Cell = { $0.map(Cell.int) ?? .empty }
        let euro: (Int?) -> Cell = { $0.map(Cell.euros) ?? .empty }
        // Dates in the workshop's time zone, as its people saw them.
        let zone = TimeZone(identifier: workshop.timeZone) ?? TimeZone(identifier: "Europe/Paris")!
        func local(_ ms: Int64) -> Cell {
            .date(ms + Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(ms) / 1000))) * 1000)
        }
        func text(_ s: String?) -> Cell {
            guard let s, !s.isEmpty else { return .empty }
            return .text(s)
        }

        // The projects sheet: the form's fields and the parts of its single groups, in the form's
        // order; each repeated group (partners, co-financing…) is a sheet of its own.
        let form = workshop.form
        let columns = FormExport.columns(form, repeatedGroups: false)
        var projects = Sheet(name: "Projets", header: ["Identifiant", "Statut", "Table"] + columns.map(\.header)
            + ["Votes", "Soutiens", "Dossier Démarches Simplifiées", "Numéro de dossier", "Déposé le"], rows: [])
        let groups = form.fields.filter(\.isRepeatedGroup)
        var used: Set<String> = ["Projets", "Idées et votes", "Couverture des constats"]
        var groupSheets = groups.map { g -> Sheet in
            var name = String(g.label.fr.filter { !"[]:*?/\\".contains($0) }.prefix(31))
            if name.isEmpty || used.contains(name) { name = String(g.id.prefix(31)) }
            used.insert(name)
            return Sheet(name: name, header: ["Projet", "Titre du projet", "Ligne"] + (g.fields ?? []).map(\.label.fr), rows: [])
        }
        for p in outcome.projects {
            let s = p.sheet
            // Whether a Démarches Simplifiées file was prepared, never its claim link.
            let ds = s.receipts.last { $0.channel == .demarches }
            let dossier: Cell = ds.map { .text(Labels.dossier($0.dossier?.state ?? .prefilled)) } ?? .empty
            projects.rows.append([.text(s.id), .text(Labels.status(s.status)), text(p.table?.title)]
                + columns.map { c in FormExport.cell(FormExport.value(c, of: s), c.part ?? c.field, in: workshop) }
                + [opt(p.votes), .int(s.supporters.count), dossier, text(ds?.number.map(String.init)),
                   s.receipts.last.map { local($0.at) } ?? .empty])
            for (i, g) in groups.enumerated() {
                for (n, row) in (s.values[g.id]?.list ?? []).enumerated() {
                    groupSheets[i].rows.append([.text(s.id), text(s.title), .int(n + 1)]
                        + (g.fields ?? []).map { c in FormExport.cell(row[c.id], c, in: workshop) })
                }
            }
        }

        var ideas = Sheet(name: "Idées et votes", header: [
            "Table", "Colonne", "Identifiant", "Idée", "Regroupement", "Votes", "Fiches projet"], rows: [])
        var constats = Sheet(name: "Couverture des constats", header: [
            "Table", "Identifiant", "Constat", "Regroupement", "Fiches projet liées", "Idées liées", "Fiches projet"], rows: [])
        for table in outcome.tables {
            for column in table.columns {
                switch column.column.kind {
                case .idea:
                    for card in column.cards {
                        let using = outcome.projects.filter { FormExport.cards($0.sheet, .ideaCards, form: form).contains(card.id) }.map(\.sheet.id)
                        ideas.rows.append([text(table.board.title), text(column.column.title), .text(card.id), text(card.text),
                                           text(card.cluster), opt(card.votes), text(using.joined(separator: ", "))])
                    }
                case .problem:
                    for card in column.cards {
                        let answering = outcome.projects.filter { FormExport.cards($0.sheet, .problemCards, form: form).contains(card.id) }
                        // Idea cards linked to the constat: the visible source ideas of the sheets
                        // that answer it, each counted once.
                        var linked = Set<CardID>()
                        for p in answering { for idea in p.ideas { linked.insert(idea.id) } }
                        constats.rows.append([text(table.board.title), .text(card.id), text(card.text), text(card.cluster),
                                              .int(answering.count), .int(linked.count),
                                              text(answering.map(\.sheet.id).joined(separator: ", "))])
                    }
                case .project:
                    break
                }
            }
        }
        return [projects] + groupSheets + [ideas, constats]
    }

    // MARK: - XML

    /// Text as XML 1.0 character data: `& < > " '` escaped, characters XML 1.0 forbids (controls
    /// other than tab, LF and CR; U+FFFE, U+FFFF) left out.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(s.unicodeScalars.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(u)
            default:
                let v = u.value
                if v < 0x20 || v == 0xFFFE || v == 0xFFFF { continue }
                out.unicodeScalars.append(u)
            }
        }
        return out
    }

    /// A spreadsheet column's letters: 0 → A, 25 → Z, 26 → AA.
    public static func columnName(_ index: Int) -> String {
        var n = index + 1, name = ""
        while n > 0 {
            let r = (n - 1) % 26
            name = String(Character(Unicode.Scalar(UInt8(65 + r)))) + name
            n = (n - 1) / 26
        }
        return name
    }

    /// Days since 1899-12-30, the spreadsheet's dates, to the second.
    static func serial(_ ms: Int64) -> String {
        let seconds = ms.quotientAndRemainder(dividingBy: 1000).quotient
        let (days, rest) = seconds.quotientAndRemainder(dividingBy: 86_400)
        let whole = days + 25_569 - (rest < 0 ? 1 : 0)
        let fraction = rest < 0 ? rest + 86_400 : rest
        guard fraction != 0 else { return String(whole) }
        // Shortest decimal that reads back as the same second.
        return String(Double(whole) + Double(fraction) / 86_400)
    }

    /// One cell's XML; nil for an empty cell.
    public static func cellXML(_ cell: Cell, ref: String, header: Bool = false) -> String? {
        switch cell {
        case .empty: return nil
        case .text(let s):
            // Excel refuses a cell of more than 32,767 characters.
            let t = escape(s.count > 32_767 ? String(s.prefix(32_767)) : s)
            return "<c r=\"\(ref)\" t=\"inlineStr\"\(header ? " s=\"\(Style.header.rawValue)\"" : "")><is><t xml:space=\"preserve\">\(t)</t></is></c>"
        case .int(let n): return "<c r=\"\(ref)\"><v>\(n)</v></c>"
        case .euros(let n): return "<c r=\"\(ref)\" s=\"\(Style.euros.rawValue)\"><v>\(n)</v></c>"
        case .date(let ms): return "<c r=\"\(ref)\" s=\"\(Style.date.rawValue)\"><v>\(serial(ms))</v></c>"
        case .day(let ms): return "<c r=\"\(ref)\" s=\"\(Style.day.rawValue)\"><v>\(serial(ms))</v></c>"
        }
    }

    static let header = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    static let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    static let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

    /// The range the header and rows cover, e.g. `A1:G3`.
    static func range(_ sheet: Sheet) -> String {
        "A1:\(columnName(max(sheet.header.count, 1) - 1))\(sheet.rows.count + 1)"
    }

    public static func worksheetXML(_ sheet: Sheet) -> String {
        var x = header + "<worksheet xmlns=\"\(main)\" xmlns:r=\"\(rel)\">"
        x += "<dimension ref=\"\(range(sheet))\"/>"
        x += "<sheetViews><sheetView workbookViewId=\"0\"><pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/>"
        x += "<selection pane=\"bottomLeft\" activeCell=\"A2\" sqref=\"A2\"/></sheetView></sheetViews>"
        x += "<sheetFormatPr defaultRowHeight=\"15\"/><cols>"
        for (i, title) in sheet.header.enumerated() {
            var width = title.count
            for row in sheet.rows where i < row.count {
                switch row[i] {
                case .text(let s): width = max(width, s.count)
                case .int, .euros, .date, .day: width = max(width, 12)
                case .empty: break
                }
            }
            x += "<col min=\"\(i + 1)\" max=\"\(i + 1)\" width=\"\(min(width, 60) + 2)\" customWidth=\"1\"/>"
        }
        x += "</cols><sheetData>"
        let all = [sheet.header.map(Cell.text)] + sheet.rows
        for (r, row) in all.enumerated() {
            x += "<row r=\"\(r + 1)\">"
            for (c, cell) in row.enumerated() {
                if let xml = cellXML(cell, ref: "\(columnName(c))\(r + 1)", header: r == 0) { x += xml }
            }
            x += "</row>"
        }
        x += "</sheetData><autoFilter ref=\"\(range(sheet))\"/></worksheet>"
        return x
    }

    static func workbookXML(_ sheets: [Sheet]) -> String {
        var x = header + "<workbook xmlns=\"\(main)\" xmlns:r=\"\(rel)\"><bookViews><workbookView/></bookViews><sheets>"
        for (i, s) in sheets.enumerated() {
            x += "<sheet name=\"\(escape(s.name))\" sheetId=\"\(i + 1)\" r:id=\"rId\(i + 1)\"/>"
        }
        x += "</sheets><definedNames>"
        for (i, s) in sheets.enumerated() {
            let last = "$\(columnName(max(s.header.count, 1) - 1))$\(s.rows.count + 1)"
            x += "<definedName name=\"_xlnm._FilterDatabase\" localSheetId=\"\(i)\" hidden=\"1\">\(escape("'\(s.name)'!$A$1:\(last)"))</definedName>"
        }
        return x + "</definedNames></workbook>"
    }

    static func workbookRelsXML(_ sheets: [Sheet]) -> String {
        var x = header + "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
        for i in sheets.indices {
            x += "<Relationship Id=\"rId\(i + 1)\" Type=\"\(rel)/worksheet\" Target=\"worksheets/sheet\(i + 1).xml\"/>"
        }
        x += "<Relationship Id=\"rId\(sheets.count + 1)\" Type=\"\(rel)/styles\" Target=\"styles.xml\"/>"
        return x + "</Relationships>"
    }

    static let stylesXML = header + """
        <styleSheet xmlns="\(main)">\
        <numFmts count="3"><numFmt numFmtId="164" formatCode="#,##0.00\\ &quot;€&quot;"/>\
        <numFmt numFmtId="165" formatCode="dd/mm/yyyy hh:mm"/><numFmt numFmtId="166" formatCode="dd/mm/yyyy"/></numFmts>\
        <fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>\
        <font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>\
        <fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>\
        <borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
        <cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
        <cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
        <xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>\
        <xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
        <xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
        <xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>\
        <cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>\
        </styleSheet>
        """

    static func contentTypesXML(_ sheets: [Sheet]) -> String {
        var x = header + "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
        x += "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
        x += "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
        x += "<Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>"
        for i in sheets.indices {
            x += "<Override PartName=\"/xl/worksheets/sheet\(i + 1).xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
        }
        x += "<Override PartName=\"/xl/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/>"
        return x + "</Types>"
    }

    static let rootRelsXML = header + "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
        + "<Relationship Id=\"rId1\" Type=\"\(rel)/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>"

    /// The workbook's parts, packed.
    public static func package(_ sheets: [Sheet]) -> [UInt8] {
        var zip = StoredZip()
        zip.add("[Content_Types].xml", contentTypesXML(sheets))
        zip.add("_rels/.rels", rootRelsXML)
        zip.add("xl/workbook.xml", workbookXML(sheets))
        zip.add("xl/_rels/workbook.xml.rels", workbookRelsXML(sheets))
        zip.add("xl/styles.xml", stylesXML)
        for (i, s) in sheets.enumerated() { zip.add("xl/worksheets/sheet\(i + 1).xml", worksheetXML(s)) }
        return zip.finish()
    }
}

/// A ZIP archive of stored (uncompressed) entries, all dated 1980-01-01 00:00: the same parts
/// give the same bytes.
struct StoredZip {
    private var bytes: [UInt8] = []
    private var central: [UInt8] = []
    private var count = 0

    private static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func crc32(_ data: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in data { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }

    private static func le16(_ v: Int, _ out: inout [UInt8]) { out += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
    private static func le32(_ v: UInt32, _ out: inout [UInt8]) {
        out += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8((v >> 24) & 0xFF)]
    }

    mutating func add(_ name: String, _ text: String) { add(name, Array(text.utf8)) }

    mutating func add(_ name: String, _ data: [UInt8]) {
        let nameBytes = Array(name.utf8)
        let crc = Self.crc32(data), size = UInt32(data.count), offset = UInt32(bytes.count)
        let dosTime = 0, dosDate = (0 << 9) | (1 << 5) | 1  // 1980-01-01 00:00:00
        // Local file header.
        Self.le32(0x0403_4B50, &bytes); Self.le16(20, &bytes); Self.le16(0x0800, &bytes); Self.le16(0, &bytes)
        Self.le16(dosTime, &bytes); Self.le16(dosDate, &bytes); Self.le32(crc, &bytes); Self.le32(size, &bytes); Self.le32(size, &bytes)
        Self.le16(nameBytes.count, &bytes); Self.le16(0, &bytes)
        bytes += nameBytes
        bytes += data
        // Central directory entry.
        Self.le32(0x0201_4B50, &central); Self.le16(20, &central); Self.le16(20, &central); Self.le16(0x0800, &central)
        Self.le16(0, &central); Self.le16(dosTime, &central); Self.le16(dosDate, &central); Self.le32(crc, &central)
        Self.le32(size, &central); Self.le32(size, &central); Self.le16(nameBytes.count, &central)
        Self.le16(0, &central); Self.le16(0, &central); Self.le16(0, &central); Self.le16(0, &central); Self.le32(0, &central)
        Self.le32(offset, &central)
        central += nameBytes
        count += 1
    }

    func finish() -> [UInt8] {
        var out = bytes
        let offset = UInt32(out.count)
        out += central
        Self.le32(0x0605_4B50, &out); Self.le16(0, &out); Self.le16(0, &out); Self.le16(count, &out); Self.le16(count, &out)
        Self.le32(UInt32(central.count), &out); Self.le32(offset, &out); Self.le16(0, &out)
        return out
    }
}
