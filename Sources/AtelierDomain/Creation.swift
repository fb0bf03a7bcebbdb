import Foundation

extension Workshop {
    /// The first events of a new workshop: its creation, then the plan's seeded cards (authorless).
    public static func creationEvents(_ blueprint: Blueprint, seeds: [SeedCard]) -> [EventBody] {
        var events: [EventBody] = [.workshopCreated(blueprint)]
        var nextSeq = 2
        var rowsPerColumn: [String: Int] = [:]
        for seed in seeds {
            let key = seed.board + "/" + seed.column
            let row = rowsPerColumn[key, default: 0]
            rowsPerColumn[key] = row + 1
            events.append(.cardAdded(Card(id: "c_\(nextSeq)", board: seed.board, column: seed.column,
                                          text: Limits.normalized(seed.text), x: 0, y: Double(row * 120),
                                          color: .yellow, author: nil, createdSeq: nextSeq)))
            nextSeq += 1
        }
        return events
    }
}
