/// A workshop's cards by id, with how many each author wrote and each board holds kept as they
/// change: the limits on cards (`Rules.requireRoomForACard`) are checked on every `card.add`, and
/// counting them by walking every card was the largest cost of a command in the fan-out benchmark.
/// Reads as a dictionary; every write goes through the subscript, which keeps the counts right.
public struct CardTable: Sendable, Equatable, Sequence {
    private var storage: [CardID: Card] = [:]
    private var byAuthor: [ActorID: Int] = [:]
    private var byBoard: [BoardID: Int] = [:]

    public init() {}

    public subscript(id: CardID) -> Card? {
        get { storage[id] }
        set {
            if let old = storage[id] { tally(old, -1) }
            if let new = newValue { tally(new, 1) }
            storage[id] = newValue
        }
    }

    private mutating func tally(_ card: Card, _ delta: Int) {
        if let author = card.author {
            let n = byAuthor[author, default: 0] + delta
            byAuthor[author] = n > 0 ? n : nil
        }
        let n = byBoard[card.board, default: 0] + delta
        byBoard[card.board] = n > 0 ? n : nil
    }

    /// Cards written by `author` (their own; authorless seeds count for nobody).
    public func count(by author: ActorID) -> Int { byAuthor[author] ?? 0 }
    /// Cards on `board`.
    public func count(on board: BoardID) -> Int { byBoard[board] ?? 0 }

    public var count: Int { storage.count }
    public var isEmpty: Bool { storage.isEmpty }
    public var values: Dictionary<CardID, Card>.Values { storage.values }
    public var keys: Dictionary<CardID, Card>.Keys { storage.keys }
    public func makeIterator() -> Dictionary<CardID, Card>.Iterator { storage.makeIterator() }

    public static func == (a: CardTable, b: CardTable) -> Bool { a.storage == b.storage }
}
