import Foundation

/// The error codes of docs/protocol.md.
public enum ErrorCode: String, Codable, Sendable, CaseIterable {
    case badRequest = "bad_request"
    case unknownType = "unknown_type"
    case unauthenticated = "unauthenticated"
    case forbidden = "forbidden"
    case notFound = "not_found"
    case invalid = "invalid"
    case conflict = "conflict"
    case phase = "phase"
    case locked = "locked"
    case budget = "budget"
    case closed = "closed"
    case rateLimited = "rate_limited"
    case `internal` = "internal"
}

/// A refused command: it changed nothing. `message` is a French sentence for the person.
public struct DomainError: Error, Sendable, Equatable {
    public var code: ErrorCode
    public var message: String
    /// With `conflict` on a project sheet: its current value, so nobody overwrites blindly.
    public var current: ProjectSheet?
    /// With `invalid` when a sheet cannot be marked ready: what is missing.
    public var missing: [String]?
    /// The same, as the fields' wire names (`summary`, `lead`…), in the same order.
    public var missingFields: [String]?
    /// With `invalid` on a refused `project.update`: each faulty field with what is wrong with it.
    public var fieldErrors: [FieldError]?
    /// With `invalid` when a sheet cannot be marked ready: the eligibility rules it does not meet.
    public var rules: [RuleFailure]?
    public init(_ code: ErrorCode, _ message: String, current: ProjectSheet? = nil, missing: [String]? = nil,
                missingFields: [String]? = nil, fieldErrors: [FieldError]? = nil, rules: [RuleFailure]? = nil) {
        self.code = code; self.message = message; self.current = current; self.missing = missing
        self.missingFields = missingFields; self.fieldErrors = fieldErrors; self.rules = rules
    }
}

/// One faulty field of a project sheet: its `project.update` name, the sub-field when the fault is
/// in one (`siret` of `lead`, `email` of `contact`…), and a French sentence saying what is wrong.
public struct FieldError: Sendable, Equatable {
    public var field: String
    public var part: String?
    /// The row (from 0) of a repeated group the fault is in.
    public var row: Int?
    public var message: String
    public init(field: String, part: String?, row: Int? = nil, message: String) {
        self.field = field; self.part = part; self.row = row; self.message = message
    }
}
