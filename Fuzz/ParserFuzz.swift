// libFuzzer target for the HTTP/1.1 parser. Compiled together with Sources/HTTP1/Parser/*.swift
// as one module by scripts/fuzz.sh, hence no imports. Every input is copied into an allocation of
// exactly its size, so AddressSanitizer catches any read past the bytes a parser was given.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    // Bit 0 of the last byte selects tiny limits, so limit paths are reachable with short inputs.
    var limits = HTTPLimits()
    if size > 0 && data[size - 1] & 1 == 1 {
        limits.maxRequestLine = 48
        limits.maxHeaderBytes = 160
        limits.maxHeaderCount = 4
        limits.maxBody = 64
    }
    let (a, b) = splitPoints(input)
    let head = fuzzRequest(input, limits, a, b)
    if let head, head.chunked {
        fuzzChunked(UnsafeBufferPointer(rebasing: input[head.headLength...]), limits.maxBody, a, b)
    }
    fuzzChunked(input, limits.maxBody, a, b)  // the decoder on raw input too: valid chunked heads are rare
    fuzzResponse(input, limits, a, b)
    return 0
}

/// Two split offsets a <= b <= size derived from the input, so the fuzzer can steer them.
private func splitPoints(_ input: UnsafeBufferPointer<UInt8>) -> (Int, Int) {
    guard input.count > 2 else { return (0, input.count) }
    let x = Int(input[0]) &* 31 &+ Int(input[input.count - 2])
    let a = x % input.count
    return (a, a + (input.count - a) / 2)
}

/// Runs `body` over a fresh allocation holding exactly input[0..<n].
private func withExactCopy<R>(_ input: UnsafeBufferPointer<UInt8>, _ n: Int,
                              _ body: (UnsafeMutableRawBufferPointer) -> R) -> R {
    let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: n, alignment: 1)
    defer { copy.deallocate() }
    if n > 0 { copy.copyMemory(from: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: input[0..<n]))) }
    return body(copy)
}

// MARK: requests

private struct RequestResult {
    var status: ParseStatus
    var head: RequestHead
    var fields: [HeaderField]
}

private func fuzzRequest(_ input: UnsafeBufferPointer<UInt8>, _ limits: HTTPLimits, _ a: Int, _ b: Int) -> RequestHead? {
    let whole = parseRequest(input, limits, feeds: [input.count])
    checkRequestInvariants(whole, input.count, limits)
    // Fed in three steps to one parser, the outcome must be the same; earlier steps may only be
    // .incomplete, the same error, or (when they already hold the head) the same result.
    let split = parseRequest(input, limits, feeds: [a, b, input.count])
    precondition(sameRequest(split, whole), "split parse disagrees with whole parse")
    return whole.status == .complete ? whole.head : nil
}

private func parseRequest(_ input: UnsafeBufferPointer<UInt8>, _ limits: HTTPLimits, feeds: [Int]) -> RequestResult {
    var parser = RequestParser(limits: limits)
    let table = HeaderTable(capacity: limits.maxHeaderCount)
    var head = RequestHead()
    var status = ParseStatus.incomplete
    for n in feeds {
        status = withExactCopy(input, n) { parser.parseHead(UnsafeRawBufferPointer($0), head: &head, headers: table) }
        if status != .incomplete { break }
    }
    return RequestResult(status: status, head: head, fields: (0..<table.count).map { table[$0] })
}

private func checkRequestInvariants(_ r: RequestResult, _ size: Int, _ limits: HTTPLimits) {
    guard r.status == .complete else { return }
    let h = r.head
    precondition(h.headLength > 0 && h.headLength <= size && h.headLength <= limits.maxHeaderBytes)
    precondition(r.fields.count <= limits.maxHeaderCount)
    var ranges = [h.methodRange, h.target, h.path, h.query, h.authority, h.host]
    for f in r.fields { ranges += [f.name, f.value] }
    for s in ranges { precondition(s.start >= 0 && s.count >= 0 && s.end <= h.headLength, "range outside head") }
    precondition(h.contentLength >= -1 && h.contentLength <= Int64(limits.maxBody))
    precondition(!h.chunked || h.contentLength == -1)
    precondition(h.versionMinor <= 1)
    precondition(h.methodRange.count > 0 && h.target.count > 0)
}

private func sameRequest(_ x: RequestResult, _ y: RequestResult) -> Bool {
    guard x.status == y.status else { return false }
    guard x.status == .complete else { return true }
    let a = x.head, b = y.head
    return a.method == b.method && a.methodRange == b.methodRange && a.target == b.target && a.form == b.form
        && a.path == b.path && a.query == b.query && a.authority == b.authority && a.versionMinor == b.versionMinor
        && a.host == b.host && a.contentLength == b.contentLength && a.chunked == b.chunked
        && a.keepAlive == b.keepAlive && a.expectContinue == b.expectContinue && a.headLength == b.headLength
        && x.fields.count == y.fields.count
        && zip(x.fields, y.fields).allSatisfy { $0.name == $1.name && $0.value == $1.value }
}

// MARK: chunked bodies

private struct ChunkedResult: Equatable {
    var status: ParseStatus
    var decodedCount: Int
    var consumed: Int
    var body: [UInt8]
}

private func fuzzChunked(_ input: UnsafeBufferPointer<UInt8>, _ maxBody: Int, _ a: Int, _ b: Int) {
    let whole = decodeChunked(input, maxBody, feeds: [input.count])
    let split = decodeChunked(input, maxBody, feeds: [Swift.min(a, input.count), Swift.min(b, input.count), input.count])
    precondition(whole == split, "split chunked decode disagrees with whole decode")
    precondition(whole.decodedCount <= maxBody)
}

/// One buffer, as a connection would have it: later feeds see more of the same bytes.
private func decodeChunked(_ input: UnsafeBufferPointer<UInt8>, _ maxBody: Int, feeds: [Int]) -> ChunkedResult {
    withExactCopy(input, input.count) { buffer in
        var decoder = ChunkedDecoder(maxBody: maxBody)
        var status = ParseStatus.incomplete
        for n in feeds {
            status = decoder.decode(UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n]))
            precondition(decoder.decodedCount <= decoder.consumed && decoder.consumed <= n, "decoder offsets out of order")
            if status != .incomplete { break }
        }
        return ChunkedResult(status: status, decodedCount: decoder.decodedCount, consumed: decoder.consumed,
                             body: Array(buffer[0..<decoder.decodedCount]))
    }
}

// MARK: responses

private func fuzzResponse(_ input: UnsafeBufferPointer<UInt8>, _ limits: HTTPLimits, _ a: Int, _ b: Int) {
    let whole = parseResponse(input, limits, feeds: [input.count])
    let split = parseResponse(input, limits, feeds: [a, b, input.count])
    precondition(whole.0 == split.0 && whole.1 == split.1, "split response parse disagrees with whole parse")
    guard whole.0 == .complete else { return }
    let h = whole.2
    precondition(h.headLength > 0 && h.headLength <= input.count)
    precondition(h.status >= 100 && h.status <= 599)
    precondition(h.reason.start >= 0 && h.reason.end <= h.headLength)
    if h.chunked { precondition(h.framing(requestMethodWasHEAD: false) != .contentLength(h.contentLength)) }
}

/// (status, comparable digest of the head, head)
private func parseResponse(_ input: UnsafeBufferPointer<UInt8>, _ limits: HTTPLimits,
                           feeds: [Int]) -> (ParseStatus, [Int64], ResponseHead) {
    var parser = ResponseParser(limits: limits)
    let table = HeaderTable(capacity: limits.maxHeaderCount)
    var head = ResponseHead()
    var status = ParseStatus.incomplete
    for n in feeds {
        status = withExactCopy(input, n) { parser.parseHead(UnsafeRawBufferPointer($0), head: &head, headers: table) }
        if status != .incomplete { break }
    }
    guard status == .complete else { return (status, [], head) }
    var digest: [Int64] = [Int64(head.status), Int64(head.versionMinor), Int64(head.reason.start), Int64(head.reason.count),
                           head.contentLength, head.chunked ? 1 : 0, head.keepAlive ? 1 : 0, Int64(head.headLength)]
    for i in 0..<table.count {
        let f = table[i]
        precondition(f.name.end <= head.headLength && f.value.end <= head.headLength, "field span outside head")
        digest += [Int64(f.name.start), Int64(f.name.count), Int64(f.value.start), Int64(f.value.count)]
    }
    return (status, digest, head)
}
