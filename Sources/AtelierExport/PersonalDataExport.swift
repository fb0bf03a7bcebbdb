import AtelierDomain
import AtelierProtocol
import Foundation

/// What Atelier holds about one person (GDPR right of access), as JSON.
public enum PersonalDataExport {
    public static func document(_ workshop: Workshop, participant id: ActorID, joinedAt: Int64?, generatedAt: Int64) -> [UInt8] {
        var w = JSONWriter(reserving: 2048)
        let p = workshop.participants[id]
        w.beginObject()
        w.key("generatedAt"); w.string(timestamp(generatedAt))
        w.key("workshop"); w.beginObject()
        w.key("id"); w.string(workshop.id)
        w.key("title"); w.string(workshop.title)
        w.endObject()
        w.key("participant"); w.beginObject()
        w.key("id"); w.string(id)
        w.key("name"); w.string(p?.profile?.name)
        w.key("organisation"); w.string(p?.profile?.organisation)
        w.key("actor"); w.string(p?.actor.rawValue)
        w.key("table"); w.string(p?.group.flatMap { g in workshop.groups.first { $0.id == g }?.title })
        w.key("joinedAt"); w.string(joinedAt.map(timestamp))
        w.key("removed"); w.bool(p?.removed ?? false)
        w.endObject()
        // Their cards and comments in the wire's own shapes (docs/protocol.md), whole: their own
        // words, hidden ones included.
        w.key("cards"); w.beginArray()
        for card in workshop.orderedCards where card.author == id {
            Outbound.writeCard(card, votes: nil, showAuthor: true, moderation: true, to: &w)
        }
        w.endArray()
        w.key("comments"); w.beginArray()
        for c in workshop.orderedComments where c.author == id { Outbound.writeComment(c, showAuthor: true, to: &w) }
        w.endArray()
        w.key("votes"); w.beginObject()
        for (card, n) in workshop.votes(of: id).sorted(by: { $0.key < $1.key }) { w.key(card); w.int(n) }
        w.endObject()
        w.endObject()
        return w.bytes
    }
}
