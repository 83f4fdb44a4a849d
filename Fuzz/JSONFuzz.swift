// libFuzzer target for the JSON reader, the services' pull decoding and the `/process` validation.
// Compiled together with Sources/ChainServices/Domain/*.swift as one module by scripts/fuzz.sh,
// hence no imports. Every input is copied into an allocation of exactly its size, so
// AddressSanitizer catches any read past the bytes the reader was given. Seeds are API.md's
// bodies (Fuzz/seeds-json), the dictionary its field names and JSON's tokens.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 1)
    defer { copy.deallocate() }
    if size > 0 { copy.copyMemory(from: UnsafeRawBufferPointer(start: data, count: size)) }
    let input = UnsafeRawBufferPointer(copy)

    let parsed: JSONValue?
    var treeError: JSONError?
    do throws(JSONError) {
        parsed = try JSONReader.parse(input)
    } catch {
        precondition(error.offset >= 0 && error.offset <= size, "error offset outside the input")
        parsed = nil
        treeError = error
    }
    if let parsed { checkRoundTrip(parsed) }
    checkProcessRequest(input, parsed)
    if let parsed { checkServiceBodies(parsed) }
    checkPullDecoding(input, parsed, treeError)
    return 0
}

/// The services' pull decoding (JSONPull.swift) refuses a document with the tree's error, or
/// reads the same models from it as the tree decoders.
private func checkPullDecoding(_ input: UnsafeRawBufferPointer, _ parsed: JSONValue?, _ treeError: JSONError?) {
    do throws(JSONError) {
        let b = try ChainBody.decode(input)
        guard let v = parsed else { preconditionFailure("the pull reader accepted what the tree refused") }
        precondition(b.isObject == v.isObject, "isObject differs")
        precondition(b.user == v["user"].flatMap(User.init(json:)), "user differs")
        precondition(b.order == v["order"].flatMap(Order.init(json:)), "order differs")
        precondition(b.audit == v["audit"].flatMap(AuditRecord.init(json:)), "audit differs")
        precondition(b.action == v["action"]?.stringValue, "action differs")
    } catch {
        precondition(error == treeError, "the pull reader's error differs from the tree's")
    }
}

/// What the writer makes of a parsed value reads back as the same value.
private func checkRoundTrip(_ v: JSONValue) {
    guard allFinite(v) else { return }   // 1e999 reads as infinity, which JSON cannot write
    var w = JSONWriter()
    w.value(v)
    let again = try? JSONReader.parse(w.bytes)
    precondition(again == v, "writer output does not read back as the same value")
}

private func allFinite(_ v: JSONValue) -> Bool {
    switch v {
    case .double(let d): return d.isFinite
    case .array(let items): return items.allSatisfy(allFinite)
    case .object(let members): return members.allSatisfy { allFinite($0.value) }
    default: return true
    }
}

/// user-service's validation: whatever it accepts obeys API.md's rules and survives encoding;
/// whatever it refuses gets one of the contract's errors.
private func checkProcessRequest(_ input: UnsafeRawBufferPointer, _ parsed: JSONValue?) {
    typealias M = ProcessRequest.Message
    switch ProcessRequest.parse(input) {
    case .success(let r):
        precondition(parsed?.isObject == true, "accepted a body that is not a JSON object")
        precondition(r.userId >= 1)
        precondition(ProcessRequest.isValidAction(r.action) && !r.action.isEmpty && r.action.utf8.count <= 64)
        if let n = r.userName {
            let scalars = n.unicodeScalars
            precondition(scalars.count >= 1 && scalars.count <= 128, "user_name length")
            precondition(!scalars.contains { ProcessRequest.isControl($0) }, "control character in user_name")
            precondition(!n.utf8.contains(0))
        }
        if let e = r.userEmail {
            let scalars = e.unicodeScalars
            precondition(scalars.count >= 3 && scalars.count <= 254, "user_email length")
            precondition(!scalars.contains { ProcessRequest.isControl($0) }, "control character in user_email")
            precondition(e.utf8.filter { $0 == UInt8(ascii: "@") }.count == 1)
        }
        precondition(ProcessRequest.parse(r.json) == .success(r), "request does not survive encoding")
    case .failure(let e):
        switch e.code {
        case .invalidJSON:
            precondition(e.message == M.invalidJSON && parsed?.isObject != true)
        case .invalidRequest:
            precondition([M.userId, M.action, M.userName, M.userEmail].contains(e.message) && parsed?.isObject == true)
        default:
            preconditionFailure("validation answered \(e.code)")
        }
        precondition(e.httpStatus == 400)
    }
}

/// order- and audit-service read `user`, `order` and `action` from the parsed body; what they
/// accept writes back to JSON that reads as the same model.
private func checkServiceBodies(_ v: JSONValue) {
    if let u = v["user"], let user = User(json: u) {
        var w = JSONWriter()
        user.write(to: &w)
        precondition((try? JSONReader.parse(w.bytes)).flatMap(User.init(json:)) == user, "user does not survive encoding")
    }
    if let o = v["order"], let order = Order(json: o) {
        var w = JSONWriter()
        order.write(to: &w)
        precondition((try? JSONReader.parse(w.bytes)).flatMap(Order.init(json:)) == order, "order does not survive encoding")
    }
    if let a = v["audit"] { _ = AuditRecord(json: a) }
    if let e = ErrorBody(json: v) {
        precondition((try? JSONReader.parse(e.json(traceId: ""))).flatMap(ErrorBody.init(json:)) == e)
    }
}
