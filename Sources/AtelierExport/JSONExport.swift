import AtelierDomain
import AtelierProtocol
import Foundation

/// The workshop's outcome as one versioned JSON document (`schemaVersion` 1), for the
/// call-for-projects team. See `schemas/workshop-export.v1.json`.
public enum JSONExport {
    public static let schemaVersion = 1

    /// `generatedAt` is milliseconds since 1970, given by the caller (no clock here).
    public static func document(_ workshop: Workshop, generatedAt: Int64) -> [UInt8] {
        var w = JSONWriter(reserving: 4096 + workshop.cards.count * 256)
        w.beginObject()
        w.key("schemaVersion"); w.int(schemaVersion)
        w.key("generatedAt"); w.string(timestamp(generatedAt))
        w.key("workshop"); w.beginObject()
        w.key("id"); w.string(workshop.id)
        w.key("title"); w.string(workshop.title)
        w.key("plan"); w.string(workshop.plan)
        w.key("phase"); w.string(workshop.phase)
        w.key("closed"); w.bool(workshop.closed)
        w.key("seq"); w.int(workshop.seq)
        w.endObject()
        w.key("tables"); w.beginArray()
        for group in workshop.groups {
            w.beginObject()
            w.key("id"); w.string(group.id)
            w.key("title"); w.string(group.title)
            w.key("theme"); w.string(group.theme)
            w.key("boards"); w.beginArray()
            for board in workshop.boards where board.group == group.id {
                writeBoard(board, workshop, &w)
            }
            w.endArray()
            w.endObject()
        }
        w.endArray()
        w.key("unassignedBoards"); w.beginArray()
        for board in workshop.boards where board.group == nil || !workshop.groups.contains(where: { $0.id == board.group }) {
            writeBoard(board, workshop, &w)
        }
        w.endArray()
        // Contributors by organisation and actor type only: names are personal data.
        w.key("contributors"); w.beginArray()
        for p in workshop.orderedParticipants where p.role == .participant {
            w.beginObject()
            w.key("id"); w.string(p.id)
            w.key("organisation"); w.string(p.profile?.organisation)
            w.key("actor"); w.string(p.actor.rawValue)
            w.key("table"); w.string(p.group)
            w.endObject()
        }
        w.endArray()
        w.key("projects"); w.beginArray(); w.endArray()
        w.endObject()
        return w.bytes
    }

    static func writeBoard(_ board: Board, _ workshop: Workshop, _ w: inout JSONWriter) {
        w.beginObject()
        w.key("id"); w.string(board.id)
        w.key("title"); w.string(board.title)
        w.key("columns"); w.beginArray()
        for column in board.columns {
            w.beginObject()
            w.key("id"); w.string(column.id)
            w.key("title"); w.string(column.title)
            w.key("kind"); w.string(column.kind.rawValue)
            w.key("cards"); w.beginArray()
            // Hidden (moderated) cards are left out; anonymous workshops export no authors.
            for card in workshop.orderedCards where card.board == board.id && card.column == column.id && !card.hidden {
                w.beginObject()
                w.key("id"); w.string(card.id)
                w.key("text"); w.string(card.text)
                w.key("author"); w.string(workshop.settings.anonymous ? nil : card.author)
                w.key("cluster"); w.string(card.cluster.flatMap { workshop.clusters[$0]?.title })
                w.key("votes"); w.int(workshop.voteCount(card.id))
                w.endObject()
            }
            w.endArray()
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }
}
