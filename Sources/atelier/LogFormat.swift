import AtelierJSON
import Foundation
import Logging

/// `--log-format json`: one JSON object per line on stderr — `ts`, `level`, `logger`, `msg`, then
/// the metadata (request and workshop ids, counts…). Log points never carry a secret (keys,
/// tokens, join codes) or a personal name: they log ids (docs/deploy.md "Logs").
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
        if let more = event.metadata { all.merge(more) { $1 } }
        var w = JSONWriter(reserving: 256)
        w.beginObject()
        w.key("ts"); w.string(ISO8601DateFormatter.string(from: Date(), timeZone: .gmt,
                                                          formatOptions: [.withInternetDateTime, .withFractionalSeconds]))
        w.key("level"); w.string(event.level.rawValue)
        w.key("logger"); w.string(label)
        w.key("msg"); w.string(event.message.description)
        for (key, value) in all.sorted(by: { $0.key < $1.key }) { w.key(key); w.string("\(value)") }
        w.endObject()
        FileHandle.standardError.write(Data(w.bytes + [0x0A]))
    }
}

enum LogFormat: String, CaseIterable {
    case text, json

    /// Sets up swift-log for the process: text lines or JSON objects, on stderr.
    func bootstrap(level: Logger.Level) {
        switch self {
        case .text:
            LoggingSystem.bootstrap { label in
                var h = StreamLogHandler.standardError(label: label)
                h.logLevel = level
                return h
            }
        case .json:
            LoggingSystem.bootstrap { label in
                var h = JSONLogHandler(label: label)
                h.logLevel = level
                return h
            }
        }
    }
}
