// POST /process request body (API.md). Parsing + validation, pure.
//
// - Body must be one JSON object (anything else, empty or malformed -> invalid_json).
// - Duplicate keys: the last one wins (JSONValue subscript).
// - Unknown fields are ignored. An explicit `null` for an optional field counts as absent.
// - Fields are checked in the order user_id, action, user_name, user_email; the first
//   failure is reported as invalid_request with a message naming the field.
// - Lengths count Unicode scalars.
// - Strings hold no control characters (Unicode category Cc: U+0000-001F, U+007F-009F). JSON
//   escapes can spell them (`\u0000`), and they are never part of a name or an address: a NUL
//   cannot be stored in PostgreSQL text, and CR/LF would split lines wherever the value goes.

public struct ProcessRequest: Equatable, Sendable {
    public static let maxBodyBytes = 64 * 1024

    public var userId: Int64
    public var action: String
    public var userName: String?
    public var userEmail: String?

    public init(userId: Int64, action: String, userName: String? = nil, userEmail: String? = nil) {
        self.userId = userId
        self.action = action
        self.userName = userName
        self.userEmail = userEmail
    }

    public enum Message {
        public static let invalidJSON = "request body must be a JSON object"
        public static let userId = "user_id must be an integer between 1 and 9223372036854775807"
        public static let action = "action must be 1 to 64 characters of [A-Za-z0-9_.:-]"
        public static let userName = "user_name must be a string of 1 to 128 characters, no control characters"
        public static let userEmail = "user_email must be a string of 3 to 254 characters containing exactly one '@', no control characters"
    }

    /// True when both name and email are given (an unknown user may then be created).
    public var canCreateUser: Bool { userName != nil && userEmail != nil }

    public static func parse(_ body: UnsafeRawBufferPointer) -> Result<ProcessRequest, ErrorBody> {
        let value: JSONValue
        do throws(JSONError) {
            value = try JSONReader.parse(body)
        } catch {
            return .failure(ErrorBody(.invalidJSON, Message.invalidJSON))
        }
        return validate(value)
    }

    public static func parse(_ body: [UInt8]) -> Result<ProcessRequest, ErrorBody> {
        body.withUnsafeBytes { parse($0) }
    }

    public static func parse(_ body: String) -> Result<ProcessRequest, ErrorBody> {
        parse(Array(body.utf8))
    }

    /// Validates an already parsed document.
    public static func validate(_ value: JSONValue) -> Result<ProcessRequest, ErrorBody> {
        guard value.isObject else { return .failure(ErrorBody(.invalidJSON, Message.invalidJSON)) }

        guard case .int(let userId)? = value["user_id"], userId >= 1 else {
            return .failure(ErrorBody(.invalidRequest, Message.userId))
        }
        guard case .string(let action)? = value["action"], isValidAction(action) else {
            return .failure(ErrorBody(.invalidRequest, Message.action))
        }
        var name: String? = nil
        switch value["user_name"] {
        case nil, .null?: break
        case .string(let s)? where isValidName(s): name = s
        default: return .failure(ErrorBody(.invalidRequest, Message.userName))
        }
        var email: String? = nil
        switch value["user_email"] {
        case nil, .null?: break
        case .string(let s)? where isValidEmail(s): email = s
        default: return .failure(ErrorBody(.invalidRequest, Message.userEmail))
        }
        return .success(ProcessRequest(userId: userId, action: action, userName: name, userEmail: email))
    }

    public static func isValidAction(_ s: String) -> Bool {
        var n = 0
        for b in s.utf8 {
            n += 1
            if n > 64 { return false }
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."),
                 UInt8(ascii: ":"), UInt8(ascii: "-"):
                continue
            default:
                return false
            }
        }
        return n >= 1
    }

    public static func isValidName(_ s: String) -> Bool {
        guard let n = scalarCount(s, limit: 129) else { return false }
        return n >= 1 && n <= 128
    }

    public static func isValidEmail(_ s: String) -> Bool {
        guard let n = scalarCount(s, limit: 255), n >= 3 && n <= 254 else { return false }
        var ats = 0
        for b in s.utf8 where b == UInt8(ascii: "@") { ats += 1 }
        return ats == 1
    }

    /// Number of Unicode scalars, counting stops at `limit`; nil when one of the scalars
    /// counted is a control character.
    static func scalarCount(_ s: String, limit: Int) -> Int? {
        var n = 0
        for u in s.unicodeScalars {
            if isControl(u) { return nil }
            n += 1
            if n >= limit { return n }
        }
        return n
    }

    /// Unicode general category Cc: C0, DEL and C1.
    @inline(__always) static func isControl(_ u: Unicode.Scalar) -> Bool {
        u.value < 0x20 || (u.value >= 0x7F && u.value <= 0x9F)
    }

    /// Encodes the request (for clients and tests): `{"user_id":..,"action":..[,"user_name":..][,"user_email":..]}`.
    public var json: [UInt8] {
        var w = JSONWriter(capacity: 128)
        w.beginObject()
        w.field("user_id", userId)
        w.field("action", action)
        if let userName { w.field("user_name", userName) }
        if let userEmail { w.field("user_email", userEmail) }
        w.endObject()
        return w.bytes
    }
}
