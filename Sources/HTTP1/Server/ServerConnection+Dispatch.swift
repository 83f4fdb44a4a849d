import Reactor

extension ServerConnection {
    /// Routes a complete request and runs its handler. The input stays untouched until the
    /// response: `consumed` bytes are released then.
    func dispatch(body: ByteRange, consumed: Int) {
        generation &+= 1
        consumeOnResponse = consumed
        keepAlive = head.keepAlive && !context.shuttingDown
        enter(.handling, timeout: context.config.requestTimeout)
        let raw = UnsafeRawBufferPointer(input!.readable)
        var params = RouteParams()
        let router = context.router
        let pathBytes = UnsafeRawBufferPointer(rebasing: raw[Int(head.path.start) ..< Int(head.path.start + head.path.count)])
        let entry = router.match(pathBytes, pathStart: head.path.start, params: &params)
        let bodyBytes = UnsafeRawBufferPointer(rebasing: raw[Int(body.start) ..< Int(body.start + body.count)])
        let route = entry.map { router.entries[$0].pattern } ?? ""
        var request = Request(raw: raw, head: head, headers: headers, body: bodyBytes, params: params,
                              route: route, routeIndex: entry ?? -1, observation: 0)
        if let observer = context.observer {
            summary = RequestSummary(method: head.method, routeIndex: entry ?? -1, route: route, startedAt: loop.now)
            observation = observer.requestBegan(request)
            request = Request(raw: raw, head: head, headers: headers, body: bodyBytes, params: params,
                              route: route, routeIndex: entry ?? -1, observation: observation)
        }
        guard let entry else { return respondError(404, "no route for this path") }
        guard let handler = router.handler(entry, head.method) else {
            var h = ExtraHeaders()
            h.add("Allow", router.entries[entry].allow)
            return respondError(405, "method not allowed for this path", headers: h)
        }
        if router.entries[entry].admission == .limited && !context.admit() {
            var h = ExtraHeaders()
            h.add("Retry-After", String(context.config.retryAfterSeconds))
            return respondError(503, "service is shedding load, retry later", headers: h)
        }
        lend()
        handler(request, Responder(connection: self, generation: generation))
    }

    /// The handler gets views into `input` and a slot of the loop's in-flight budget, both
    /// given back when it answers (`answered`) or, if it never does, when the connection goes.
    private func lend() {
        lentTo = generation
        context.inFlight += 1
    }

    func respondError(_ status: UInt16, _ message: StaticString, headers: ExtraHeaders? = nil) {
        let traceID = context.observer?.traceID(summary == nil ? 0 : observation)
        ResponseWriter.errorBody(status: status, message: message, traceID: traceID, into: &context.scratch)
        let body = context.scratch
        body.withUnsafeBytes {
            respond(generation, status: status, contentType: "application/json", body: $0, extra: headers)
        }
    }

    func respond(_ g: UInt32, status: UInt16, contentType: StaticString?,
                 body: UnsafeRawBufferPointer, extra: ExtraHeaders?) {
        guard isPending(g) else { return }
        if !keepAlive { closeAfterWrite = true }
        let omitBody = head.method == .HEAD
        context.date.refresh(now: loop.now)
        output { out in
            if let extra {
                extra.lines.withUnsafeBytes {
                    ResponseWriter.write(into: out, status: status, contentType: contentType, body: body,
                                         extra: $0, keepAlive: keepAlive, omitBody: omitBody, date: context.date)
                }
            } else {
                ResponseWriter.write(into: out, status: status, contentType: contentType, body: body,
                                     extra: nil, keepAlive: keepAlive, omitBody: omitBody, date: context.date)
            }
        }
        if let observer = context.observer, let done = summary {
            summary = nil
            observer.requestEnded(observation, done, status: status)
        }
        let buf = input!
        buf.readIndex += consumeOnResponse
        if buf.isEmpty { buf.clear() }
        parser.reset()
        head = RequestHead()
        inputWhileHandling = false
        enter(.idle, timeout: context.config.keepAliveTimeout)
        if !inProcessInput { processInput() }   // answered later: resume pipelined input, flush
    }

    /// A protocol error: answer with its status, then close (lingering, so the client reads it).
    func fail(_ status: UInt16, _ message: StaticString) {
        generation &+= 1
        state = .handling
        keepAlive = false
        lingerAfterWrite = true
        consumeOnResponse = input?.readableCount ?? 0
        respondError(status, message)
    }
}
