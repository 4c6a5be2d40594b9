package snapshot

// Publisher is what the data plane offers the controllers: one call to make a new
// snapshot live. Publish returns after the snapshot serves new requests; in-flight
// requests finish on the snapshot they started with.
type Publisher interface {
	Publish(*Snapshot) PublishResult
}

// PublishResult tells the caller what could not be made live, so that status can be
// truthful: a listener whose socket could not be bound is not Programmed.
type PublishResult struct {
	// BindErrors maps Listener.Key() to the error binding that socket. Sockets in
	// the map serve nothing; every other socket of the snapshot is live.
	BindErrors map[string]error
}
