import CSystem

/// What the poller reported for one descriptor.
public struct IOEvents: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let readable = IOEvents(rawValue: 1)
    public static let writable = IOEvents(rawValue: 2)
    /// The peer closed its side (EPOLLRDHUP) or the socket hung up; data may still be readable.
    public static let hangup = IOEvents(rawValue: 4)
    public static let error = IOEvents(rawValue: 8)

    init(epoll bits: UInt32) {
        var e: IOEvents = []
        if bits & CS_EPOLLIN != 0 { e.insert(.readable) }
        if bits & CS_EPOLLOUT != 0 { e.insert(.writable) }
        if bits & (CS_EPOLLRDHUP | CS_EPOLLHUP) != 0 { e.insert(.hangup) }
        if bits & CS_EPOLLERR != 0 { e.insert(.error) }
        self = e
    }
}

/// Which readiness a handler wants to hear about.
public struct Interest: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let read = Interest(rawValue: 1)
    public static let write = Interest(rawValue: 2)
    public static let none: Interest = []

    var epollBits: UInt32 {
        var bits: UInt32 = 0
        if contains(.read) { bits |= CS_EPOLLIN | CS_EPOLLRDHUP }
        if contains(.write) { bits |= CS_EPOLLOUT }
        return bits
    }
}

/// Anything registered with a loop: a listener, a server or client connection, a database socket.
public protocol IOHandler: AnyObject {
    func ioReady(_ events: IOEvents)
}

/// Told the outcome of `EventLoop.send`: `result` is the bytes sent (possibly fewer than
/// asked), or -errno (-EAGAIN: the socket's buffer was full). `buffer` is the one given to
/// `send`, the caller's again from now on.
public protocol SendCompletionHandler: AnyObject {
    func sendCompleted(_ buffer: IOBuffer, result: Int)
}

/// Called once at the end of every loop iteration, after all events, timers and tasks ran:
/// the place to flush output that several handlers produced in the same iteration.
public protocol TickObserver: AnyObject {
    func tickEnded()
}
