import Reactor

extension UpstreamResolver {
    /// On `client`'s loop, once: its connect failures trigger lookups, and each answer becomes
    /// the address its next connection goes to.
    public func watch(_ client: HTTPClient) {
        subscribe(on: client.loop) { client.address = $0 }
        client.onConnectFailure = { [weak self] in self?.refresh() }
    }
}
