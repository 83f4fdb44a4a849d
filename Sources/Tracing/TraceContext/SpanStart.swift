extension SpanContext {
    /// The context of a new span.
    ///
    /// Under a valid parent (remote or local) the span continues the parent's trace with a
    /// fresh span id, keeping its `tracestate` and its `random` flag (that flag describes the
    /// trace id, which is unchanged). Otherwise it roots a new trace, whose id this process
    /// drew at random, so `random` is set. `sampled` is the sampler's decision either way;
    /// an unsampled span still has a context to propagate, with the flag cleared.
    public static func start(parent: SpanContext?, sampler: Sampler,
                             ids: inout IDGenerator) -> SpanContext {
        var context: SpanContext
        if let parent, parent.isValid {
            context = SpanContext(traceID: parent.traceID, spanID: ids.nextSpanID(),
                                  flags: parent.flags.intersection(.random), traceState: parent.traceState)
        } else {
            context = SpanContext(traceID: ids.nextTraceID(), spanID: ids.nextSpanID(), flags: .random)
        }
        if sampler.shouldSample(traceID: context.traceID, parent: parent) {
            context.flags.insert(.sampled)
        }
        return context
    }
}
