package server

// isProbe tells the liveness and readiness probes' paths. The request
// deadline leaves them alone: they bound their own work (checkTimeout per
// dependency), and a slow dependency must read as not ready, 503, never as a
// slow service, 504.
func isProbe(path string) bool {
	return path == "/healthz" || path == "/readyz"
}
