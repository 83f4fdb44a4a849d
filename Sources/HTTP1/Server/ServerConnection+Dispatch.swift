import Reactor

extension ServerConnection {
    /// Routes a complete request and runs its handler. The input stays untouched until the
    /// response: `consumed` bytes are released then.
    func dispatch(body: ByteRange, consumed: Int) {
        generation &+= 1
        consumeOnResponse = consumed
        keepAlive = head.keepAlive && !context.shuttingDown
        let raw = UnsafeRawBufferPointer(input!.readable)
        var params = RouteParams()
        let router = context.router
        let entry = router.match(raw.slice(head.path), pathStart: head.path.start, params: &params)
        let route = entry.map { router.entries[$0].pattern } ?? ""
        let now = loop.now
        var request = Request(raw: raw, head: head, headers: headers, body: raw.slice(body), params: params,
                              route: route, routeIndex: entry ?? -1,
                              context: RequestContext(loop: loop, span: nil, deadline: now, receivedAt: now))
        if let tracing = context.tracing {
            summary = RequestSummary(method: head.method, routeIndex: entry ?? -1, route: route, receivedAt: now)
            span = tracing.begin(request)
        }
        let deadline = self.deadline(request, now: now)
        request.context = RequestContext(loop: loop, span: span, deadline: deadline, receivedAt: now,
                                         tracer: context.tracing?.tracer)
        enter(.handling, until: deadline)
        guard let entry else { return respondError(404, "no route for this path") }
        guard let handler = router.handler(entry, head.method) else {
            var h = ExtraHeaders()
            h.add("Allow", router.entries[entry].allow)
            return respondError(405, "method not allowed for this path", headers: h)
        }
        if router.entries[entry].admission == .limited {
            guard deadline > now else { return respondError(504, "no time left before the caller's deadline") }
            guard context.admit() else {
                var h = ExtraHeaders()
                h.add("Retry-After", String(context.config.retryAfterSeconds))
                return respondError(503, "service is shedding load, retry later", headers: h)
            }
        }
        lend()
        handler.run(request, Responder(connection: self, generation: generation))
    }

    /// The request's deadline: the server's `requestTimeout` from now, or the caller's own
    /// (milliseconds left, in `callerDeadlineHeader`) when it is configured and sooner. A value
    /// that is not a plain number of at most 9 digits is ignored.
    private func deadline(_ request: Request, now: Instant) -> Instant {
        let own = now + context.config.requestTimeout
        guard let name = context.config.callerDeadlineHeader, let v = request.header(name),
              !v.isEmpty, v.count <= 9 else { return own }
        var ms: UInt64 = 0
        for b in v {
            guard b >= 48 && b <= 57 else { return own }
            ms = ms * 10 + UInt64(b - 48)
        }
        return min(own, now + .milliseconds(ms))
    }

    /// The handler gets views into `input` and a slot of the loop's in-flight budget, both
    /// given back when it answers (`answered`) or, if it never does, when the connection goes.
    private func lend() {
        lentTo = generation
        context.inFlight += 1
    }

    func respondError(_ status: UInt16, _ message: StaticString, headers: ExtraHeaders? = nil) {
        let traceID = context.tracing?.traceID(summary == nil ? nil : span)
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
        if let tracing = context.tracing, let done = summary {
            summary = nil
            tracing.end(span, done, status: status, at: loop.now)
            span = nil
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
