// Package docs checks that the documentation's examples do what the documentation
// says: every example directory under examples/ratelimit loads in standalone mode
// without errors and compiles into the limits and status docs/ratelimitpolicy.md
// describes, and every RateLimitPolicy shown in that page passes the CRD's
// validation. It reads files the way `turnpike standalone` does (controllers/standalone)
// and compiles them with the real compiler, so it sits where a user's
// `turnpike standalone --check` would.
package docs
